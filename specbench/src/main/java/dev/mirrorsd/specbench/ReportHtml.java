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
        html.append("</table>\n");
        if (report.peer() != null) {
            html.append(peer(report.peer()));
        }
        return html.append("</body></html>\n").toString();
    }

    /** Tokens/s of each of our methods and its peer counterpart per task, then the table. */
    private static String peer(PeerComparison peer) {
        StringBuilder html = new StringBuilder();
        html.append("<h2>Beside the peer: ").append(SvgBarChart.escape(peer.peer())).append("</h2>\n<ul>\n")
                .append("<li>").append(SvgBarChart.escape(peer.description().replace("`", ""))).append("</li>\n")
                .append("<li>").append(SvgBarChart.escape(ReportMarkdown.peerEqualityLine(peer))).append("</li>\n</ul>\n");
        List<String> tasks = peer.rows().stream().map(PeerComparison.Row::task).distinct().toList();
        List<String> pairs = peer.rows().stream().map(r -> r.ourMethod() + " / " + r.peerMethod()).distinct().toList();
        List<String> series = new java.util.ArrayList<>();
        for (String pair : pairs) {
            String[] names = pair.split(" / ");
            series.add("ours: " + names[0]);
            series.add("peer: " + names[1]);
        }
        double[][] speeds = new double[series.size()][tasks.size()];
        double[][] ratios = new double[pairs.size()][tasks.size()];
        for (PeerComparison.Row row : peer.rows()) {
            int pair = pairs.indexOf(row.ourMethod() + " / " + row.peerMethod());
            int task = tasks.indexOf(row.task());
            speeds[2 * pair][task] = row.ourTokensPerSecond();
            speeds[2 * pair + 1][task] = row.peerTokensPerSecond();
            ratios[pair][task] = row.ratio();
        }
        html.append(SvgBarChart.grouped("Tokens/s, ours beside the peer", tasks, series, speeds, "%.1f", null));
        html.append(SvgBarChart.grouped("Ours over the peer (tokens/s ratio)", tasks, pairs, ratios, "%.2fx", 1.0));
        html.append("<table>\n<tr><th>task</th><th>ours</th><th>peer</th><th>questions</th><th>ours tokens/s</th>"
                + "<th>peer tokens/s</th><th>ours / peer</th><th>ours mean accepted tokens</th>"
                + "<th>peer mean accepted tokens</th></tr>\n");
        for (PeerComparison.Row row : peer.rows()) {
            html.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%d</td><td>%.2f</td>"
                            + "<td>%.2f</td><td>%.2fx</td><td>%.2f</td><td>%.2f</td></tr>%n",
                    SvgBarChart.escape(row.task()), SvgBarChart.escape(row.ourMethod()),
                    SvgBarChart.escape(row.peerMethod()), row.questions(), row.ourTokensPerSecond(),
                    row.peerTokensPerSecond(), row.ratio(), row.ourMeanAcceptedTokens(), row.peerMeanAcceptedTokens()));
        }
        return html.append("</table>\n").toString();
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
