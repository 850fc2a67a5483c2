package dev.osprey.core.template;

import java.util.List;

/** A function callable from a template. Arguments are already evaluated; the piped value last. */
@FunctionalInterface
public interface TemplateFunction {
  Object call(List<Object> args) throws Exception;

  /**
   * Called by the template; {@code env} is what {@link Template#execute(Object, java.util.Map,
   * Object)} was given (null otherwise). Functions that depend on it override this method.
   */
  default Object call(List<Object> args, Object env) throws Exception {
    return call(args);
  }
}
