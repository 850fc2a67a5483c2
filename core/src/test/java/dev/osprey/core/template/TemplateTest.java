package dev.osprey.core.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The engine alone; alerting's and LogQL's tests cover it with their functions. */
class TemplateTest {
  private static String run(
      String text, Object dot, Map<String, TemplateFunction> funcs, Object env)
      throws TemplateException {
    return Template.parse("t", text, funcs, Set.of()).execute(dot, Map.of(), env);
  }

  @Test
  void andOrStopAtTheArgumentThatDecides() throws TemplateException {
    TemplateFunction boom =
        a -> {
          throw new IllegalStateException("evaluated");
        };
    Map<String, TemplateFunction> f = Map.of("boom", boom);
    assertThat(run("{{ and 0 boom }}|{{ or 1 boom }}|{{ or 0 \"\" }}", null, f, null))
        .isEqualTo("0|1|");
    assertThat(run("{{ \"x\" | and 1 }}|{{ 0 | or \"\" }}", null, f, null)).isEqualTo("x|0");
    assertThatThrownBy(() -> run("{{ and 1 boom }}", null, f, null))
        .hasMessageContaining("error calling boom: evaluated");
  }

  @Test
  void aMissingKeyIsEmptyInALabelMapAndNilInAnAnyMap() throws TemplateException {
    AnyMap obj = new AnyMap();
    obj.put("a", "1");
    Map<String, Object> dot = Map.of("labels", Map.of("job", "api"), "obj", obj);
    assertThat(run("[{{ .labels.nope }}] [{{ .obj.nope }}] [{{ .obj.a }}]", dot, Map.of(), null))
        .isEqualTo("[] [<no value>] [1]");
  }

  @Test
  void functionsSeeTheEnvironmentOfTheirExecution() throws TemplateException {
    TemplateFunction line =
        new TemplateFunction() {
          @Override
          public Object call(List<Object> args) {
            throw new IllegalStateException("no environment");
          }

          @Override
          public Object call(List<Object> args, Object env) {
            return "line=" + env;
          }
        };
    Template t = Template.parse("t", "{{ line }}", Map.of("line", line), Set.of());
    assertThat(t.execute(null, Map.of(), "a")).isEqualTo("line=a");
    assertThat(t.execute(null, Map.of(), "b")).isEqualTo("line=b");
  }

  @Test
  void goErrorsForRangeAndOrdering() {
    assertThatThrownBy(() -> run("{{ range $i, $v := 3 }}{{ end }}", null, Map.of(), null))
        .hasMessageContaining("can't use 3 to iterate over more than one variable");
    assertThatThrownBy(() -> run("{{ lt true false }}", null, Map.of(), null))
        .hasMessageContaining("error calling lt: invalid type for comparison");
    assertThatThrownBy(() -> run("{{ eq 1 \"1\" }}", null, Map.of(), null))
        .hasMessageContaining("error calling eq: incompatible types for comparison");
  }
}
