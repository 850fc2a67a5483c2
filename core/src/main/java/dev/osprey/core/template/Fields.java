package dev.osprey.core.template;

/** A value whose fields and niladic methods a template can reach with {@code .Name}. */
public interface Fields {
  /**
   * The field's value.
   *
   * @throws IllegalArgumentException when there is no such field
   */
  Object field(String name);
}
