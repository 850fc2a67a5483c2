package dev.osprey.core.util;

/** Compensated summation as Prometheus does it (Kahan-Babuska-Neumaier), one step at a time. */
public final class Kahan {
  private Kahan() {}

  /**
   * Adds {@code inc} to {@code sum} whose running compensation is {@code c}: {@code out[0]} is the
   * new sum, {@code out[1]} the new compensation (reset when the sum overflows). The caller adds
   * the compensation to the sum at the end.
   */
  public static void step(double inc, double sum, double c, double[] out) {
    double t = sum + inc;
    if (Double.isInfinite(t)) {
      c = 0;
    } else if (Math.abs(sum) >= Math.abs(inc)) {
      c += (sum - t) + inc;
    } else {
      c += (inc - t) + sum;
    }
    out[0] = t;
    out[1] = c;
  }
}
