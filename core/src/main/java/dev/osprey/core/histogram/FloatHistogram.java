package dev.osprey.core.histogram;

import dev.osprey.core.util.Kahan;
import java.util.Arrays;

/**
 * A native histogram with float counts, as Prometheus's model/histogram.FloatHistogram: a schema
 * (exponential resolution -4..8, or {@link #CUSTOM_BUCKETS_SCHEMA} with explicit upper bounds), a
 * zero bucket, count, sum, and sparse positive and negative buckets.
 *
 * <p>Immutable. Buckets are held as sorted (index, count) pairs with no zero counts: this is the
 * compacted form, in which every bucket that a span layout would spell out with a 0 is absent.
 * Arithmetic returns new instances. Semantics (bucket boundaries, schema reduction, zero-threshold
 * reconciliation, counter-reset detection, hint combination) follow upstream's definitions.
 */
public final class FloatHistogram {
  /** Schema of histograms with custom bucket boundaries (NHCB). */
  public static final int CUSTOM_BUCKETS_SCHEMA = -53;

  /** What the producer knew about counter resets at this sample. */
  public enum CounterResetHint {
    UNKNOWN,
    COUNTER_RESET,
    NOT_COUNTER_RESET,
    GAUGE
  }

  /** Facts an operation reports besides its result (upstream's annotations). */
  public static final class Notes {
    /** A histogram that says "counter reset" was combined with one that says "not reset". */
    public boolean counterResetCollision;

    /** Custom bucket boundaries differed and were reduced to the common ones. */
    public boolean customBucketsReconciled;

    /** Callers' record of the inputs' hints: a counter reset was among them. */
    public boolean resetSeen;

    /** Callers' record of the inputs' hints: a not-reset was among them. */
    public boolean notResetSeen;
  }

  /** Thrown when exponential and custom-bucket histograms meet in one operation. */
  public static final class IncompatibleSchemaException extends RuntimeException {
    public IncompatibleSchemaException() {
      super("cannot combine histograms: exponential and custom buckets schemas");
    }
  }

  private static final int[] NO_IDX = new int[0];
  private static final double[] NO_CNT = new double[0];

  private final int schema;
  private final double zeroThreshold;
  private final double zeroCount;
  private final double count;
  private final double sum;
  private final int[] posIdx;
  private final double[] posCnt;
  private final int[] negIdx;
  private final double[] negCnt;
  private final double[] customValues;
  private final CounterResetHint hint;

  private FloatHistogram(
      int schema,
      double zeroThreshold,
      double zeroCount,
      double count,
      double sum,
      int[] posIdx,
      double[] posCnt,
      int[] negIdx,
      double[] negCnt,
      double[] customValues,
      CounterResetHint hint) {
    this.schema = schema;
    this.zeroThreshold = zeroThreshold;
    this.zeroCount = zeroCount;
    this.count = count;
    this.sum = sum;
    this.posIdx = posIdx;
    this.posCnt = posCnt;
    this.negIdx = negIdx;
    this.negCnt = negCnt;
    this.customValues = customValues;
    this.hint = hint;
  }

  /**
   * A histogram from absolute bucket counts laid out by spans, as upstream's model: spans are
   * (offset, length) pairs, the first offset is the index of the first bucket, each later offset
   * the gap after the previous span. Zero counts are dropped.
   */
  public static FloatHistogram of(
      int schema,
      double zeroThreshold,
      double zeroCount,
      double count,
      double sum,
      int[] posSpans,
      double[] posBuckets,
      int[] negSpans,
      double[] negBuckets,
      double[] customValues,
      CounterResetHint hint) {
    if (schema == CUSTOM_BUCKETS_SCHEMA && customValues == null) {
      customValues = NO_CNT;
    }
    if (schema != CUSTOM_BUCKETS_SCHEMA) {
      customValues = null;
    }
    Sparse p = Sparse.fromSpans(posSpans, posBuckets);
    Sparse n = Sparse.fromSpans(negSpans, negBuckets);
    return new FloatHistogram(
        schema,
        zeroThreshold,
        zeroCount,
        count,
        sum,
        p.idx,
        p.cnt,
        n.idx,
        n.cnt,
        customValues == null ? null : customValues.clone(),
        hint == null ? CounterResetHint.UNKNOWN : hint);
  }

  /** A histogram with sorted sparse buckets (indices strictly ascending); zero counts dropped. */
  public static FloatHistogram ofSparse(
      int schema,
      double zeroThreshold,
      double zeroCount,
      double count,
      double sum,
      int[] posIdx,
      double[] posCnt,
      int[] negIdx,
      double[] negCnt,
      double[] customValues,
      CounterResetHint hint) {
    Sparse p = new Sparse(posIdx.clone(), posCnt.clone(), posIdx.length).compact();
    Sparse n = new Sparse(negIdx.clone(), negCnt.clone(), negIdx.length).compact();
    return new FloatHistogram(
        schema,
        zeroThreshold,
        zeroCount,
        count,
        sum,
        p.idx,
        p.cnt,
        n.idx,
        n.cnt,
        schema == CUSTOM_BUCKETS_SCHEMA
            ? (customValues == null ? NO_CNT : customValues.clone())
            : null,
        hint == null ? CounterResetHint.UNKNOWN : hint);
  }

  public int schema() {
    return schema;
  }

  public boolean usesCustomBuckets() {
    return schema == CUSTOM_BUCKETS_SCHEMA;
  }

  public double zeroThreshold() {
    return zeroThreshold;
  }

  public double zeroCount() {
    return zeroCount;
  }

  public double count() {
    return count;
  }

  public double sum() {
    return sum;
  }

  /** The custom upper bounds (schema -53, without +Inf), or null. A copy. */
  public double[] customValues() {
    return customValues == null ? null : customValues.clone();
  }

  public CounterResetHint counterResetHint() {
    return hint;
  }

  public int positiveBuckets() {
    return posIdx.length;
  }

  public int positiveIndex(int k) {
    return posIdx[k];
  }

  public double positiveCount(int k) {
    return posCnt[k];
  }

  public int negativeBuckets() {
    return negIdx.length;
  }

  public int negativeIndex(int k) {
    return negIdx[k];
  }

  public double negativeCount(int k) {
    return negCnt[k];
  }

  /** Upper bound of positive bucket {@code idx} under this histogram's schema. */
  public double upperBound(int idx) {
    return bound(schema, idx, customValues);
  }

  /** Lower bound of positive bucket {@code idx} under this histogram's schema. */
  public double lowerBound(int idx) {
    if (schema == CUSTOM_BUCKETS_SCHEMA) {
      return idx == 0 ? Double.NEGATIVE_INFINITY : bound(schema, idx - 1, customValues);
    }
    return bound(schema, idx - 1, null);
  }

  /**
   * The upper boundary of bucket {@code idx}: for an exponential schema s, 2^(idx·2^-s); for custom
   * buckets the idx-th bound, +Inf past the last one.
   */
  public static double bound(int schema, int idx, double[] customValues) {
    if (schema == CUSTOM_BUCKETS_SCHEMA) {
      if (idx < 0) {
        return Double.NEGATIVE_INFINITY;
      }
      return idx < customValues.length ? customValues[idx] : Double.POSITIVE_INFINITY;
    }
    if (schema < 0) {
      long e = (long) idx << -schema;
      if (e > 1024) {
        return Double.POSITIVE_INFINITY;
      }
      if (e < -1074) {
        return 0;
      }
      return Math.scalb(1.0, (int) e);
    }
    int frac = idx & ((1 << schema) - 1);
    int exp = (idx >> schema) + 1;
    double f = frac == 0 ? 0.5 : Math.pow(2, (double) frac / (1 << schema)) / 2;
    if (frac == 0 && exp == 1025) {
      return Double.POSITIVE_INFINITY;
    }
    return Math.scalb(f, exp);
  }

  public FloatHistogram withHint(CounterResetHint h) {
    return h == hint
        ? this
        : new FloatHistogram(
            schema,
            zeroThreshold,
            zeroCount,
            count,
            sum,
            posIdx,
            posCnt,
            negIdx,
            negCnt,
            customValues,
            h);
  }

  public FloatHistogram withCountAndSum(double count, double sum) {
    return new FloatHistogram(
        schema,
        zeroThreshold,
        zeroCount,
        count,
        sum,
        posIdx,
        posCnt,
        negIdx,
        negCnt,
        customValues,
        hint);
  }

  /** Every count and the sum multiplied by {@code f}. */
  public FloatHistogram mul(double f) {
    return scale(f, false);
  }

  /** Every count and the sum divided by {@code d}. */
  public FloatHistogram div(double d) {
    return scale(d, true);
  }

  /** Scaled counts, zero counts compacted away; division by zero removes every bucket. */
  private FloatHistogram scale(double f, boolean divide) {
    Sparse p = new Sparse(NO_IDX, NO_CNT, 0);
    Sparse n = p;
    if (!(divide && f == 0)) {
      double[] pc = posCnt.clone();
      double[] nc = negCnt.clone();
      for (int i = 0; i < pc.length; i++) {
        pc[i] = divide ? pc[i] / f : pc[i] * f;
      }
      for (int i = 0; i < nc.length; i++) {
        nc[i] = divide ? nc[i] / f : nc[i] * f;
      }
      p = new Sparse(posIdx, pc, pc.length).compact();
      n = new Sparse(negIdx, nc, nc.length).compact();
    }
    return new FloatHistogram(
        schema,
        zeroThreshold,
        divide ? zeroCount / f : zeroCount * f,
        divide ? count / f : count * f,
        divide ? sum / f : sum * f,
        p.idx,
        p.cnt,
        n.idx,
        n.cnt,
        customValues,
        hint);
  }

  /** This plus {@code o}; see {@link #combine}. */
  public FloatHistogram add(FloatHistogram o, Notes notes) {
    return combine(o, false, notes);
  }

  /** This minus {@code o}; see {@link #combine}. */
  public FloatHistogram sub(FloatHistogram o, Notes notes) {
    return combine(o, true, notes);
  }

  /**
   * Adds or subtracts bucket by bucket: the result has the lower of the two schemas (the finer one
   * is reduced), the larger zero threshold (buckets it covers merge into the zero bucket), and for
   * custom buckets the common boundaries. The hint follows upstream: equal hints stay, a gauge
   * wins, otherwise unknown; reset against not-reset is a collision (reported in {@code notes}).
   *
   * @throws IncompatibleSchemaException when one uses custom buckets and the other does not
   */
  public FloatHistogram combine(FloatHistogram o, boolean subtract, Notes notes) {
    if (usesCustomBuckets() != o.usesCustomBuckets()) {
      throw new IncompatibleSchemaException();
    }
    CounterResetHint h = combineHints(hint, o.hint, notes);
    double sign = subtract ? -1 : 1;
    if (usesCustomBuckets()) {
      FloatHistogram a = this;
      FloatHistogram b = o;
      double[] cv = customValues;
      if (!Arrays.equals(customValues, o.customValues)) {
        cv = intersect(customValues, o.customValues);
        a = a.rebucket(cv);
        b = b.rebucket(cv);
        if (notes != null) {
          notes.customBucketsReconciled = true;
        }
      }
      Sparse p = Sparse.merge(a.pos(), b.pos(), sign);
      return new FloatHistogram(
          schema,
          0,
          0,
          count + sign * o.count,
          sum + sign * o.sum,
          p.idx,
          p.cnt,
          NO_IDX,
          NO_CNT,
          cv,
          h);
    }
    int s = Math.min(schema, o.schema);
    FloatHistogram a = reduce(s);
    FloatHistogram b = o.reduce(s);
    double thr = commonZeroThreshold(a, b);
    a = a.withZeroThreshold(thr);
    b = b.withZeroThreshold(thr);
    Sparse p = Sparse.merge(a.pos(), b.pos(), sign);
    Sparse n = Sparse.merge(a.neg(), b.neg(), sign);
    return new FloatHistogram(
        s,
        thr,
        a.zeroCount + sign * b.zeroCount,
        count + sign * o.count,
        sum + sign * o.sum,
        p.idx,
        p.cnt,
        n.idx,
        n.cnt,
        null,
        h);
  }

  /** A running sum and its compensation, as {@link #kahanAdd} returns them. */
  public record Compensated(FloatHistogram sum, FloatHistogram compensation) {
    /** The compensated value: the sum plus its compensation. */
    public FloatHistogram value() {
      return compensation == null ? sum : sum.add(compensation, null);
    }
  }

  /**
   * This plus {@code o} with Kahan-Babuska-Neumaier compensation of the count, the sum, the zero
   * bucket and every bucket, as upstream's KahanAdd: {@code c} is the compensation so far (null for
   * none), kept in this histogram's layout. Layouts are reconciled as in {@link #combine} (the
   * compensation follows the running sum); the hint follows {@link #combine} as well.
   *
   * @throws IncompatibleSchemaException when one uses custom buckets and the other does not
   */
  public Compensated kahanAdd(FloatHistogram o, FloatHistogram c, Notes notes) {
    if (usesCustomBuckets() != o.usesCustomBuckets()) {
      throw new IncompatibleSchemaException();
    }
    CounterResetHint h = combineHints(hint, o.hint, notes);
    FloatHistogram a = this;
    FloatHistogram b = o;
    FloatHistogram k = c == null ? emptyLike() : c;
    int s = schema;
    double thr = 0;
    double[] cv = null;
    if (usesCustomBuckets()) {
      cv = customValues;
      if (!Arrays.equals(customValues, o.customValues)) {
        cv = intersect(customValues, o.customValues);
        a = a.rebucket(cv);
        b = b.rebucket(cv);
        k = k.rebucket(cv);
        if (notes != null) {
          notes.customBucketsReconciled = true;
        }
      }
    } else {
      s = Math.min(schema, o.schema);
      a = a.reduce(s);
      b = b.reduce(s);
      k = k.reduce(s);
      thr = commonZeroThreshold(a, b);
      a = a.withZeroThreshold(thr);
      b = b.withZeroThreshold(thr);
      k = k.withZeroThreshold(thr);
    }
    double[] out = new double[2];
    Kahan.step(b.count, a.count, k.count, out);
    double cnt = out[0];
    double cCnt = out[1];
    Kahan.step(b.sum, a.sum, k.sum, out);
    double sm = out[0];
    double cSm = out[1];
    Kahan.step(b.zeroCount, a.zeroCount, k.zeroCount, out);
    double z = out[0];
    double cZ = out[1];
    Sparse[] p = kahanMerge(a.pos(), b.pos(), k.pos());
    Sparse[] n = kahanMerge(a.neg(), b.neg(), k.neg());
    FloatHistogram sum =
        new FloatHistogram(s, thr, z, cnt, sm, p[0].idx, p[0].cnt, n[0].idx, n[0].cnt, cv, h);
    FloatHistogram comp =
        new FloatHistogram(s, thr, cZ, cCnt, cSm, p[1].idx, p[1].cnt, n[1].idx, n[1].cnt, cv, h);
    return new Compensated(sum, comp);
  }

  /** Whether the count, the sum, the zero bucket or any bucket is infinite. */
  public boolean hasOverflow() {
    if (Double.isInfinite(count) || Double.isInfinite(sum) || Double.isInfinite(zeroCount)) {
      return true;
    }
    for (double v : posCnt) {
      if (Double.isInfinite(v)) {
        return true;
      }
    }
    for (double v : negCnt) {
      if (Double.isInfinite(v)) {
        return true;
      }
    }
    return false;
  }

  /** All counts zero, this one's layout parameters. */
  private FloatHistogram emptyLike() {
    return new FloatHistogram(
        schema, zeroThreshold, 0, 0, 0, NO_IDX, NO_CNT, NO_IDX, NO_CNT, customValues, hint);
  }

  /** Bucket-wise {@link Kahan#step} over the union of indices: {sums, compensations}. */
  private static Sparse[] kahanMerge(Sparse a, Sparse b, Sparse c) {
    int cap = a.n + b.n + c.n;
    int[] idx = new int[cap];
    double[] sv = new double[cap];
    double[] cvv = new double[cap];
    double[] out = new double[2];
    int i = 0;
    int j = 0;
    int l = 0;
    int m = 0;
    while (i < a.n || j < b.n || l < c.n) {
      int x = Integer.MAX_VALUE;
      if (i < a.n) {
        x = Math.min(x, a.idx[i]);
      }
      if (j < b.n) {
        x = Math.min(x, b.idx[j]);
      }
      if (l < c.n) {
        x = Math.min(x, c.idx[l]);
      }
      double av = i < a.n && a.idx[i] == x ? a.cnt[i++] : 0;
      double bv = j < b.n && b.idx[j] == x ? b.cnt[j++] : 0;
      double cv = l < c.n && c.idx[l] == x ? c.cnt[l++] : 0;
      Kahan.step(bv, av, cv, out);
      idx[m] = x;
      sv[m] = out[0];
      cvv[m] = out[1];
      m++;
    }
    return new Sparse[] {new Sparse(idx, sv, m).compact(), new Sparse(idx, cvv, m).compact()};
  }

  private static CounterResetHint combineHints(
      CounterResetHint a, CounterResetHint b, Notes notes) {
    if (a == b) {
      return a;
    }
    if (a == CounterResetHint.GAUGE || b == CounterResetHint.GAUGE) {
      return CounterResetHint.GAUGE;
    }
    if (a == CounterResetHint.UNKNOWN || b == CounterResetHint.UNKNOWN) {
      return CounterResetHint.UNKNOWN;
    }
    if (notes != null) {
      notes.counterResetCollision = true;
    }
    return CounterResetHint.UNKNOWN;
  }

  private static double[] intersect(double[] a, double[] b) {
    double[] out = new double[Math.min(a.length, b.length)];
    int i = 0;
    int j = 0;
    int n = 0;
    while (i < a.length && j < b.length) {
      if (a[i] == b[j]) {
        out[n++] = a[i];
        i++;
        j++;
      } else if (a[i] < b[j]) {
        i++;
      } else {
        j++;
      }
    }
    return Arrays.copyOf(out, n);
  }

  /** Custom buckets moved to the coarser boundaries {@code cv} (each a subset of this one's). */
  private FloatHistogram rebucket(double[] cv) {
    int[] idx = new int[posIdx.length];
    int j = 0;
    for (int k = 0; k < posIdx.length; k++) {
      double u = bound(schema, posIdx[k], customValues);
      while (j < cv.length && cv[j] < u) {
        j++;
      }
      idx[k] = j;
    }
    Sparse p = Sparse.collapse(idx, posCnt);
    return new FloatHistogram(schema, 0, 0, count, sum, p.idx, p.cnt, NO_IDX, NO_CNT, cv, hint);
  }

  /** This histogram at the lower resolution {@code target} (buckets merged), or itself. */
  public FloatHistogram reduce(int target) {
    if (target >= schema || usesCustomBuckets()) {
      return this;
    }
    int d = schema - target;
    int[] p = new int[posIdx.length];
    for (int k = 0; k < p.length; k++) {
      p[k] = ((posIdx[k] - 1) >> d) + 1;
    }
    int[] n = new int[negIdx.length];
    for (int k = 0; k < n.length; k++) {
      n[k] = ((negIdx[k] - 1) >> d) + 1;
    }
    Sparse ps = Sparse.collapse(p, posCnt);
    Sparse ns = Sparse.collapse(n, negCnt);
    return new FloatHistogram(
        target, zeroThreshold, zeroCount, count, sum, ps.idx, ps.cnt, ns.idx, ns.cnt, null, hint);
  }

  /**
   * The threshold a zero bucket of at least {@code thr} really gets: raised to the upper bound of a
   * populated bucket it would cut through.
   */
  /**
   * The zero threshold two histograms of one schema are reconciled to: the larger one, moved up to
   * bucket boundaries of both.
   */
  private static double commonZeroThreshold(FloatHistogram a, FloatHistogram b) {
    double thr = Math.max(a.zeroThreshold, b.zeroThreshold);
    while (true) {
      double ta = a.thresholdFor(thr);
      double tb = b.thresholdFor(Math.max(thr, ta));
      double t = Math.max(ta, tb);
      if (t == thr) {
        return thr;
      }
      thr = t;
    }
  }

  private double thresholdFor(double thr) {
    if (thr <= zeroThreshold) {
      return Math.max(thr, zeroThreshold);
    }
    for (int k = 0; k < posIdx.length; k++) {
      double lo = lowerBound(posIdx[k]);
      double up = upperBound(posIdx[k]);
      if (lo >= thr) {
        break;
      }
      if (up > thr) {
        thr = up;
      }
    }
    for (int k = 0; k < negIdx.length; k++) {
      double lo = lowerBound(negIdx[k]);
      double up = upperBound(negIdx[k]);
      if (lo >= thr) {
        break;
      }
      if (up > thr) {
        thr = up;
      }
    }
    return thr;
  }

  /** Buckets below {@code thr} (a bucket boundary, ≥ the current threshold) merged into zero. */
  private FloatHistogram withZeroThreshold(double thr) {
    if (thr == zeroThreshold) {
      return this;
    }
    double z = zeroCount;
    int pk = 0;
    while (pk < posIdx.length && upperBound(posIdx[pk]) <= thr) {
      z += posCnt[pk++];
    }
    int nk = 0;
    while (nk < negIdx.length && upperBound(negIdx[nk]) <= thr) {
      z += negCnt[nk++];
    }
    return new FloatHistogram(
        schema,
        thr,
        z,
        count,
        sum,
        Arrays.copyOfRange(posIdx, pk, posIdx.length),
        Arrays.copyOfRange(posCnt, pk, posCnt.length),
        Arrays.copyOfRange(negIdx, nk, negIdx.length),
        Arrays.copyOfRange(negCnt, nk, negCnt.length),
        null,
        hint);
  }

  private Sparse pos() {
    return new Sparse(posIdx, posCnt, posIdx.length);
  }

  private Sparse neg() {
    return new Sparse(negIdx, negCnt, negIdx.length);
  }

  /**
   * Whether this histogram, following {@code previous}, shows a counter reset: per its hint if the
   * hint says so, else when the count, the zero bucket or any bucket went down, a bucket vanished,
   * the resolution went up, the zero bucket shrank, or exponential and custom buckets switched.
   * Custom buckets whose bounds changed are compared on the bounds both have.
   */
  public boolean detectReset(FloatHistogram previous) {
    if (hint == CounterResetHint.COUNTER_RESET) {
      return true;
    }
    if (hint == CounterResetHint.NOT_COUNTER_RESET) {
      return false;
    }
    if (count < previous.count) {
      return true;
    }
    if (usesCustomBuckets() != previous.usesCustomBuckets()) {
      return true;
    }
    if (usesCustomBuckets()) {
      if (Arrays.equals(customValues, previous.customValues)) {
        return bucketsDecreased(previous.posIdx, previous.posCnt, posIdx, posCnt);
      }
      // changed bounds: compared on the bounds both have, as upstream reconciles them
      double[] cv = intersect(customValues, previous.customValues);
      FloatHistogram p = previous.rebucket(cv);
      FloatHistogram cur = rebucket(cv);
      return bucketsDecreased(p.posIdx, p.posCnt, cur.posIdx, cur.posCnt);
    }
    if (schema > previous.schema) {
      return true;
    }
    if (zeroThreshold < previous.zeroThreshold) {
      return true;
    }
    double thr = previous.thresholdFor(zeroThreshold);
    if (thr != zeroThreshold) {
      return true;
    }
    FloatHistogram p = previous.reduce(schema).withZeroThreshold(zeroThreshold);
    if (zeroCount < p.zeroCount) {
      return true;
    }
    return bucketsDecreased(p.posIdx, p.posCnt, posIdx, posCnt)
        || bucketsDecreased(p.negIdx, p.negCnt, negIdx, negCnt);
  }

  private static boolean bucketsDecreased(int[] pi, double[] pc, int[] ci, double[] cc) {
    int j = 0;
    for (int k = 0; k < pi.length; k++) {
      while (j < ci.length && ci[j] < pi[k]) {
        j++;
      }
      double cur = j < ci.length && ci[j] == pi[k] ? cc[j] : 0;
      if (cur < pc[k]) {
        return true;
      }
    }
    return false;
  }

  /** Equal in every field, the hint included (counts compared as doubles, NaN equal to NaN). */
  @Override
  public boolean equals(Object o) {
    return o instanceof FloatHistogram h
        && schema == h.schema
        && Double.compare(zeroThreshold, h.zeroThreshold) == 0
        && Double.compare(zeroCount, h.zeroCount) == 0
        && Double.compare(count, h.count) == 0
        && Double.compare(sum, h.sum) == 0
        && Arrays.equals(posIdx, h.posIdx)
        && Arrays.equals(posCnt, h.posCnt)
        && Arrays.equals(negIdx, h.negIdx)
        && Arrays.equals(negCnt, h.negCnt)
        && Arrays.equals(customValues, h.customValues)
        && hint == h.hint;
  }

  /** Equal ignoring the counter-reset hint. */
  public boolean equalsIgnoringHint(FloatHistogram h) {
    return equals(h.withHint(hint));
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(posIdx) * 31 + Double.hashCode(count) * 17 + Double.hashCode(sum);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{{");
    if (schema != 0) {
      sb.append("schema:").append(schema).append(' ');
    }
    sb.append("count:").append(count).append(" sum:").append(sum);
    if (zeroThreshold != 0) {
      sb.append(" z_bucket_w:").append(zeroThreshold);
    }
    if (zeroCount != 0) {
      sb.append(" z_bucket:").append(zeroCount);
    }
    if (customValues != null) {
      sb.append(" custom_values:").append(Arrays.toString(customValues));
    }
    for (int k = 0; k < posIdx.length; k++) {
      sb.append(" ").append(posIdx[k]).append(':').append(posCnt[k]);
    }
    for (int k = 0; k < negIdx.length; k++) {
      sb.append(" -").append(negIdx[k]).append(':').append(negCnt[k]);
    }
    if (hint != CounterResetHint.UNKNOWN) {
      sb.append(" hint:").append(hint);
    }
    return sb.append("}}").toString();
  }

  /** Sorted bucket indices and counts. */
  private record Sparse(int[] idx, double[] cnt, int n) {
    static Sparse fromSpans(int[] spans, double[] buckets) {
      if (spans == null || buckets == null || buckets.length == 0) {
        return new Sparse(NO_IDX, NO_CNT, 0);
      }
      int[] idx = new int[buckets.length];
      int b = 0;
      int cur = 0;
      for (int s = 0; s + 1 < spans.length && b < buckets.length; s += 2) {
        cur += spans[s];
        for (int l = 0; l < spans[s + 1] && b < buckets.length; l++) {
          idx[b++] = cur++;
        }
      }
      return new Sparse(idx, buckets.clone(), b).compact();
    }

    /** Without zero counts, arrays trimmed to n. */
    Sparse compact() {
      int m = 0;
      int[] i2 = new int[n];
      double[] c2 = new double[n];
      for (int k = 0; k < n; k++) {
        if (cnt[k] != 0) {
          i2[m] = idx[k];
          c2[m] = cnt[k];
          m++;
        }
      }
      return new Sparse(Arrays.copyOf(i2, m), Arrays.copyOf(c2, m), m);
    }

    /** Sums counts of equal adjacent indices (indices non-decreasing). */
    static Sparse collapse(int[] idx, double[] cnt) {
      int[] i2 = new int[idx.length];
      double[] c2 = new double[idx.length];
      int m = 0;
      for (int k = 0; k < idx.length; k++) {
        if (m > 0 && i2[m - 1] == idx[k]) {
          c2[m - 1] += cnt[k];
        } else {
          i2[m] = idx[k];
          c2[m] = cnt[k];
          m++;
        }
      }
      return new Sparse(i2, c2, m).compact();
    }

    static Sparse merge(Sparse a, Sparse b, double sign) {
      int[] i2 = new int[a.n + b.n];
      double[] c2 = new double[a.n + b.n];
      int i = 0;
      int j = 0;
      int m = 0;
      while (i < a.n || j < b.n) {
        if (j >= b.n || (i < a.n && a.idx[i] < b.idx[j])) {
          i2[m] = a.idx[i];
          c2[m++] = a.cnt[i++];
        } else if (i >= a.n || b.idx[j] < a.idx[i]) {
          i2[m] = b.idx[j];
          c2[m++] = sign * b.cnt[j++];
        } else {
          i2[m] = a.idx[i];
          c2[m++] = a.cnt[i++] + sign * b.cnt[j++];
        }
      }
      return new Sparse(i2, c2, m).compact();
    }
  }
}
