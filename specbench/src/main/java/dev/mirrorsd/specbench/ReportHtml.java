package dev.mirrorsd.specbench;

import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The Spec-Bench report as one self-contained HTML page: settings, the table, and bar charts of
 * speedup, mean accepted tokens and tokens/s per task (inline SVG: no script, no network).
 */
public final class ReportHtml {
    private ReportHtml() {
    }

    public static String render(SpecBenchReport report) {
        List<String> tasks = report.rows().stream().map(TaskSpeed::task).distinct().toList();
        List<String> methods = report.rows().stream().map(TaskSpeed::method).distinct().toList();
        StringBuilder html = new StringBuilder();
        html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Spec-Bench: ")
                .append(SvgBarChart.escape(report.settings().model())).append("</title>\n<style>\n")
                .append("body{font-family:sans-serif;margin:2em;max-width:1100px}\n")
                .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}\n")
                .append("td:nth-child(-n+2),th{text-align:left}.fail{color:#b00}.pass{color:#070}\n")
                .append("</style></head><body>\n");
        html.append("<h1>Spec-Bench: ").append(SvgBarChart.escape(report.settings().model())).append("</h1>\n<ul>\n");
        for (String line : ReportMarkdown.settingsLines(report.settings()).split("\n")) {
            html.append("<li>").append(SvgBarChart.escape(line.substring(2).replace("`", ""))).append("</li>\n");
        }
        html.append("</ul>\n<p class=\"").append(report.equalityPassed() ? "pass" : "fail").append("\">")
                .append(SvgBarChart.escape(ReportMarkdown.equalityLine(report))).append("</p>\n");
        if (!report.equalityPassed()) {
            html.append("<ul>\n");
            report.mismatches().forEach(m -> html.append("<li>").append(SvgBarChart.escape(m.toString())).append("</li>\n"));
            html.append("</ul>\n");
        }
        html.append(SvgBarChart.grouped("Speedup over autoregressive", tasks, methods,
                values(report, tasks, methods, TaskSpeed::speedup), "%.2fx", 1.0));
        html.append(SvgBarChart.grouped("Mean accepted tokens (tau)", tasks, methods,
                values(report, tasks, methods, TaskSpeed::meanAcceptedTokens), "%.2f", 1.0));
        html.append(SvgBarChart.grouped("Tokens/s", tasks, methods,
                values(report, tasks, methods, TaskSpeed::tokensPerSecond), "%.1f", null));
        html.append("<h2>Table</h2>\n<table>\n<tr><th>task</th><th>method</th><th>questions</th>"
                + "<th>mean accepted tokens</th><th>tokens/s</th><th>speedup</th><th>hit rate</th></tr>\n");
        for (TaskSpeed row : report.rows()) {
            html.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%s</td><td>%d</td><td>%.2f</td><td>%.2f</td>"
                            + "<td>%.2fx</td><td>%s</td></tr>%n", SvgBarChart.escape(row.task()),
                    SvgBarChart.escape(row.method()), row.questions(), row.meanAcceptedTokens(), row.tokensPerSecond(),
                    row.speedup(), ReportMarkdown.hitRate(row)));
        }
        return html.append("</table>\n</body></html>\n").toString();
    }

    /** (method, task) values of one column; 0 where a method has no row for a task. */
    private static double[][] values(SpecBenchReport report, List<String> tasks, List<String> methods,
                                     ToDoubleFunction<TaskSpeed> column) {
        double[][] values = new double[methods.size()][tasks.size()];
        for (TaskSpeed row : report.rows()) {
            values[methods.indexOf(row.method())][tasks.indexOf(row.task())] = column.applyAsDouble(row);
        }
        return values;
    }
}
