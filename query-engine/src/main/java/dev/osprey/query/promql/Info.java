package dev.osprey.query.promql;

import dev.osprey.core.labels.LabelMatcher;
import dev.osprey.core.labels.Labels;
import dev.osprey.query.promql.Ast.Call;
import dev.osprey.query.promql.Ast.VectorSelector;
import dev.osprey.query.promql.Values.Sample;
import dev.osprey.query.promql.Values.Value;
import dev.osprey.query.promql.Values.VectorV;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The experimental {@code info(v, selector)} function: enriches series with the data labels of info
 * metrics (default {@code target_info}) that share their identifying labels (instance, job).
 */
final class Info {
  private Info() {}

  /** The time the base expression's samples refer to (after @ and offset), for the info lookup. */
  static long referenceTime(Evaluator ev, Ast.Expr e, long ts) {
    return switch (e) {
      case VectorSelector vs -> ev.refTime(vs.mods, ts) - ev.offsetMs(vs.mods);
      case Ast.MatrixSelector m -> ev.refTime(m.vs.mods, ts) - ev.offsetMs(m.vs.mods);
      case Ast.SubqueryExpr s ->
          referenceTime(ev, s.expr, ev.refTime(s.mods, ts) - ev.offsetMs(s.mods));
      case Ast.ParenExpr p -> referenceTime(ev, p.expr, ts);
      case Ast.UnaryExpr u -> referenceTime(ev, u.expr, ts);
      case Ast.Call call -> {
        for (Ast.Expr a : call.args) {
          if (a.type() == Ast.ValueType.VECTOR || a.type() == Ast.ValueType.MATRIX) {
            yield referenceTime(ev, a, ts);
          }
        }
        yield ts;
      }
      case Ast.AggregateExpr a -> referenceTime(ev, a.expr, ts);
      case Ast.BinaryExpr b ->
          referenceTime(ev, b.lhs.type() == Ast.ValueType.VECTOR ? b.lhs : b.rhs, ts);
      default -> ts;
    };
  }

  private static final List<String> IDENTIFYING = List.of("instance", "job");

  static Value info(Evaluator ev, Call c, long ts) {
    ArrayList<Sample> base = FunctionCalls.vec(ev, c.args.get(0), ts);
    List<LabelMatcher> nameMatchers = new ArrayList<>();
    List<LabelMatcher> dataMatchers = new ArrayList<>();
    if (c.args.size() > 1) {
      VectorSelector sel = (VectorSelector) FunctionCalls.unwrap(c.args.get(1));
      for (LabelMatcher m : sel.matchers) {
        (m.name().equals(Labels.METRIC_NAME) ? nameMatchers : dataMatchers).add(m);
      }
    }
    if (nameMatchers.isEmpty()) {
      nameMatchers.add(LabelMatcher.equal(Labels.METRIC_NAME, "target_info"));
    }
    VectorSelector infoSel =
        ev.infoSelectors.computeIfAbsent(
            c,
            k -> {
              VectorSelector v = new VectorSelector();
              v.matchers.addAll(nameMatchers);
              return v;
            });
    List<Sample> infos = new ArrayList<>();
    long infoTs = referenceTime(ev, c.args.get(0), ts);
    boolean positiveName = false;
    for (LabelMatcher m : nameMatchers) {
      if (m.type() == LabelMatcher.Type.EQUAL || m.type() == LabelMatcher.Type.REGEX) {
        positiveName = true;
      }
    }
    Map<String, Sample> latest = new java.util.HashMap<>();
    for (Sample s : ev.instantSelect(infoSel, infoTs)) {
      if (!positiveName && !s.labels.metricName().endsWith("_info")) {
        continue; // only negative name matchers: info metrics are the *_info ones
      }
      if (s.h != null) {
        throw QueryException.exec("this should be an info metric, with float samples: " + s.labels);
      }
      boolean ok = true;
      for (LabelMatcher m : dataMatchers) {
        if (!m.matches(s.labels.get(m.name()))) {
          ok = false;
          break;
        }
      }
      if (ok) {
        StringBuilder key = new StringBuilder(s.labels.metricName());
        for (String id : IDENTIFYING) {
          key.append('\u0000').append(s.labels.get(id));
        }
        Sample prev = latest.get(key.toString());
        if (prev == null || s.t > prev.t) {
          latest.put(key.toString(), s);
        }
      }
    }
    infos.addAll(latest.values());
    boolean dataMatchEmpty = true;
    Set<String> dataNames = new HashSet<>();
    for (LabelMatcher m : dataMatchers) {
      dataNames.add(m.name());
      if (!m.matches("")) {
        dataMatchEmpty = false;
      }
    }
    ArrayList<Sample> out = new ArrayList<>(base.size());
    for (Sample b : base) {
      boolean positive = false;
      boolean isInfo = true;
      for (LabelMatcher m : nameMatchers) {
        if (m.type() == LabelMatcher.Type.EQUAL || m.type() == LabelMatcher.Type.REGEX) {
          positive = true;
        }
        if (!m.matches(b.labels.metricName())) {
          isInfo = false;
        }
      }
      isInfo &= positive;
      if (isInfo) {
        out.add(b);
        continue;
      }
      Labels.Builder lb = null;
      boolean matched = false;
      for (Sample i : infos) {
        boolean same = true;
        for (String id : IDENTIFYING) {
          if (!i.labels.get(id).equals(b.labels.get(id))) {
            same = false;
            break;
          }
        }
        if (!same) {
          continue;
        }
        matched = true;
        for (int k = 0; k < i.labels.size(); k++) {
          String n = i.labels.name(k);
          if (n.equals(Labels.METRIC_NAME) || IDENTIFYING.contains(n) || b.labels.has(n)) {
            continue;
          }
          if (!dataNames.isEmpty() && !dataNames.contains(n)) {
            continue;
          }
          if (lb == null) {
            lb = b.labels.toBuilder();
          }
          String prevVal = lb.get(n);
          if (!prevVal.isEmpty() && !prevVal.equals(i.labels.value(k))) {
            throw QueryException.exec(
                "conflicting label: " + n + " has values " + prevVal + " and " + i.labels.value(k));
          }
          lb.set(n, i.labels.value(k));
        }
      }
      if (!matched && !dataMatchEmpty) {
        continue;
      }
      if (lb != null) {
        b.labels = lb.build();
      }
      out.add(b);
    }
    return new VectorV(out);
  }
}
