package dev.osprey.alerting.template;

import java.util.List;

/** A function callable from a template. Arguments are already evaluated; the piped value last. */
@FunctionalInterface
public interface TemplateFunction {
  Object call(List<Object> args) throws Exception;
}
