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
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The experimental {@code info(v, selector)} function: enriches series with the data labels of
 * info metrics (default {@code target_info}) that share their identifying labels (instance, job).
 */
final class Info {
  private Info() {}

  private static final List<String> IDENTIFYING = List.of("instance", "job");

  private static final Map<Call, VectorSelector> SELECTORS =
      java.util.Collections.synchronizedMap(new IdentityHashMap<>());

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
        SELECTORS.computeIfAbsent(
            c,
            k -> {
              VectorSelector v = new VectorSelector();
              v.matchers.addAll(nameMatchers);
              return v;
            });
    List<Sample> infos = new ArrayList<>();
    for (Sample s : ev.instantSelect(infoSel, ts)) {
      boolean ok = true;
      for (LabelMatcher m : dataMatchers) {
        if (!m.matches(s.labels.get(m.name()))) {
          ok = false;
          break;
        }
      }
      if (ok) {
        infos.add(s);
      }
    }
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
      boolean isInfo = true;
      for (LabelMatcher m : nameMatchers) {
        if (!m.matches(b.labels.metricName())) {
          isInfo = false;
          break;
        }
      }
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
