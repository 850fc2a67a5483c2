package dev.osprey.core.template;

import java.util.List;

/**
 * A value with methods that take arguments, as {@code {{ .CommonLabels.Remove .GroupLabels.Names
 * }}}.
 */
public interface Methods {
  /**
   * Calls a method.
   *
   * @throws IllegalArgumentException when there is no such method or the arguments do not fit
   */
  Object call(String name, List<Object> args);
}
