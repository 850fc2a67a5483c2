package dev.osprey.alerting.notify;

import dev.osprey.alerting.template.PromTemplates;
import dev.osprey.core.template.Template;
import dev.osprey.core.template.TemplateException;
import dev.osprey.core.template.TemplateFunction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders receiver fields written as Alertmanager templates over {@link NotifyData}, with the
 * {@code define}s of the config's {@code templates} files and Alertmanager's default functions.
 */
public final class Renderer {
  private static final Map<String, TemplateFunction> FUNCS = functions();
  private final Template definitions;

  private Renderer(Template definitions) {
    this.definitions = definitions;
  }

  public static Renderer load(List<String> globs) throws IOException, TemplateException {
    StringBuilder all = new StringBuilder();
    for (Path p : dev.osprey.alerting.rules.RuleFiles.expand(globs)) {
      all.append(Files.readString(p));
    }
    return new Renderer(Template.parse("templates", all.toString(), FUNCS, Set.of()));
  }

  public static Renderer empty() {
    try {
      return new Renderer(Template.parse("templates", "", FUNCS, Set.of()));
    } catch (TemplateException e) {
      throw new IllegalStateException("BUG: " + e.getMessage(), e);
    }
  }

  /** Renders {@code text}; a template error is returned as a failure of the notification. */
  public String render(String text, NotifyData data) throws TemplateException {
    if (!text.contains("{{")) {
      return text;
    }
    return Template.parse("receiver", text, FUNCS, Set.of())
        .withDefinitions(definitions)
        .execute(data, Map.of());
  }

  private static Map<String, TemplateFunction> functions() {
    Map<String, TemplateFunction> f = new HashMap<>(PromTemplates.functions(null, 0, ""));
    f.put("trimSpace", a -> ((String) a.get(0)).strip());
    f.put(
        "join",
        a -> {
          List<String> parts = new ArrayList<>();
          for (Object o : (List<?>) a.get(1)) {
            parts.add(String.valueOf(o));
          }
          return String.join((String) a.get(0), parts);
        });
    f.put("safeUrl", a -> a.get(0));
    f.put(
        "urlUnescape",
        a ->
            java.net.URLDecoder.decode((String) a.get(0), java.nio.charset.StandardCharsets.UTF_8));
    f.put("stringSlice", a -> new ArrayList<>(a));
    return Map.copyOf(f);
  }
}
