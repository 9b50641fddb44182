package dev.mirrorsd.core.testing;

/**
 * Pearson's chi-square goodness-of-fit, with the p-value from the regularised upper incomplete gamma.
 * Shared by the statistical tests of verification (target) and of whole requests (pipeline).
 */
public final class ChiSquare {

    private ChiSquare() {
    }

    /**
     * p-value of observed counts against expected probabilities. Cells of zero probability must
     * have zero counts (checked by the caller); they add no degree of freedom.
     */
    public static double pValue(long[] observed, double[] probabilities) {
        long n = 0;
        for (long o : observed) {
            n += o;
        }
        double statistic = 0;
        int cells = 0;
        for (int i = 0; i < observed.length; i++) {
            if (probabilities[i] > 0) {
                double expected = n * probabilities[i];
                double d = observed[i] - expected;
                statistic += d * d / expected;
                cells++;
            }
        }
        return pValue(statistic, cells - 1);
    }

    /** P(X >= statistic) for X chi-square with {@code df} degrees of freedom. */
    public static double pValue(double statistic, int df) {
        return upperRegularisedGamma(df / 2.0, statistic / 2.0);
    }

    /** Q(a, x) = Gamma(a, x) / Gamma(a) (Numerical Recipes' gammq). */
    public static double upperRegularisedGamma(double a, double x) {
        if (x <= 0) {
            return 1.0;
        }
        double front = Math.exp(-x + a * Math.log(x) - logGamma(a));
        if (x < a + 1) { // series for P(a, x)
            double ap = a;
            double term = 1.0 / a;
            double sum = term;
            for (int n = 0; n < 10_000; n++) {
                ap += 1;
                term *= x / ap;
                sum += term;
                if (Math.abs(term) < Math.abs(sum) * 1e-15) {
                    break;
                }
            }
            return Math.max(0.0, 1.0 - sum * front);
        }
        // continued fraction for Q(a, x), modified Lentz
        double tiny = 1e-300;
        double b = x + 1 - a;
        double c = 1 / tiny;
        double d = 1 / b;
        double h = d;
        for (int i = 1; i < 10_000; i++) {
            double an = -i * (i - a);
            b += 2;
            d = an * d + b;
            if (Math.abs(d) < tiny) {
                d = tiny;
            }
            c = b + an / c;
            if (Math.abs(c) < tiny) {
                c = tiny;
            }
            d = 1 / d;
            double delta = d * c;
            h *= delta;
            if (Math.abs(delta - 1) < 1e-15) {
                break;
            }
        }
        return front * h;
    }

    /** ln Gamma(x), Lanczos (g = 7, n = 9), x > 0. */
    public static double logGamma(double x) {
        double[] g = {0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7};
        if (x < 0.5) {
            return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
        }
        x -= 1;
        double sum = g[0];
        for (int i = 1; i < g.length; i++) {
            sum += g[i] / (x + i);
        }
        double t = x + 7.5;
        return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(sum);
    }
}
