package dev.osprey.server;

import dev.osprey.alerting.ExpressionValidator;
import dev.osprey.alerting.QueryFunction;
import dev.osprey.alerting.Sample;
import dev.osprey.core.labels.Labels;
import dev.osprey.query.promql.Engine;
import dev.osprey.query.promql.ParseException;
import dev.osprey.query.promql.Parser;
import dev.osprey.query.promql.Printer;
import dev.osprey.query.promql.QueryResult;
import java.util.ArrayList;
import java.util.List;

/** Connects the PromQL engine to the rule engine: evaluation and expression checks. */
final class PromqlRules {
  private PromqlRules() {}

  /**
   * Prometheus's rules.EngineQueryFunc: an instant query whose vector is the result; a scalar
   * becomes one sample without labels; anything else is an error.
   */
  static QueryFunction queryFunction(Engine engine) {
    return (expr, t) -> {
      QueryResult r = engine.instantQuery(expr, t);
      return switch (r.type()) {
        case VECTOR -> {
          List<Sample> out = new ArrayList<>(r.vector().size());
          for (var s : r.vector()) {
            out.add(new Sample(s.labels, s.v, s.t));
          }
          yield out;
        }
        case SCALAR -> List.of(new Sample(Labels.EMPTY, r.scalar(), t));
        default ->
            throw new IllegalArgumentException(
                "rule result is not a vector or scalar: " + r.type().json());
      };
    };
  }

  /** Parse errors worded as Prometheus's parser words them; null when the expression parses. */
  static final ExpressionValidator VALIDATOR =
      new ExpressionValidator() {
        @Override
        public String validate(String expr) {
          try {
            Parser.parse(expr);
            return null;
          } catch (ParseException e) {
            return e.getMessage();
          }
        }

        /** Prometheus shows a rule's parsed expression printed, as Expr.String() does. */
        @Override
        public String format(String expr) {
          try {
            return Printer.print(Parser.parse(expr));
          } catch (ParseException e) {
            return expr; // rejected at load time; never shown
          }
        }
      };
}
