package dev.mirrorsd.specbench;

import java.util.List;
import java.util.Locale;

/**
 * A grouped bar chart as inline SVG, so the HTML report needs no script and no network: one group
 * of bars per task, one bar per method, the value printed above each bar.
 */
final class SvgBarChart {
    private static final String[] COLOURS = {"#7f7f7f", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
            "#8c564b", "#e377c2"};
    private static final int HEIGHT = 260;     // plot area, pixels
    private static final int BAR_WIDTH = 22;
    private static final int GROUP_GAP = 28;
    private static final int LEFT = 50;
    private static final int TOP = 40;
    private static final int BOTTOM = 60;      // room for the group labels and the legend

    private SvgBarChart() {
    }

    /**
     * @param values (series, group): the value of each method on each task
     * @param format how a value is printed above its bar, e.g. "%.2fx"
     */
    static String grouped(String title, List<String> groups, List<String> series, double[][] values, String format,
                          Double referenceLine) {
        double max = referenceLine == null ? 0 : referenceLine;
        for (double[] row : values) {
            for (double v : row) {
                max = Math.max(max, v);
            }
        }
        max = max <= 0 ? 1 : max * 1.15;
        int groupWidth = series.size() * BAR_WIDTH + GROUP_GAP;
        int width = LEFT + groups.size() * groupWidth + 20;
        int height = TOP + HEIGHT + BOTTOM;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " font-family=\"sans-serif\" font-size=\"11\" role=\"img\">%n", width, height));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"14\" font-weight=\"bold\">%s</text>%n",
                LEFT, escape(title)));
        // axis
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>%n",
                LEFT, TOP + HEIGHT, width - 10, TOP + HEIGHT));
        if (referenceLine != null) {
            int y = TOP + HEIGHT - (int) Math.round(referenceLine / max * HEIGHT);
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\""
                    + " stroke-dasharray=\"4 3\"/>%n", LEFT, y, width - 10, y));
        }
        for (int g = 0; g < groups.size(); g++) {
            int x0 = LEFT + g * groupWidth + GROUP_GAP / 2;
            for (int s = 0; s < series.size(); s++) {
                double v = values[s][g];
                int h = (int) Math.round(v / max * HEIGHT);
                int x = x0 + s * BAR_WIDTH;
                svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\">"
                                + "<title>%s, %s: %s</title></rect>%n", x, TOP + HEIGHT - h, BAR_WIDTH - 2, h,
                        COLOURS[s % COLOURS.length], escape(series.get(s)), escape(groups.get(g)),
                        String.format(Locale.ROOT, format, v)));
                svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"9\">%s</text>%n",
                        x + BAR_WIDTH / 2 - 1, TOP + HEIGHT - h - 3, String.format(Locale.ROOT, format, v)));
            }
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                    x0 + series.size() * BAR_WIDTH / 2, TOP + HEIGHT + 16, escape(groups.get(g))));
        }
        // legend
        for (int s = 0; s < series.size(); s++) {
            int x = LEFT + s * 130;
            int y = TOP + HEIGHT + 36;
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s</text>%n", x, y, COLOURS[s % COLOURS.length], x + 16, y + 10,
                    escape(series.get(s))));
        }
        return svg.append("</svg>\n").toString();
    }

    static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
