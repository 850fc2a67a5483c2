package dev.osprey.core.template;

/** A template that does not parse or fails while executing; worded as Go's text/template. */
public final class TemplateException extends Exception {
  public TemplateException(String message) {
    super(message, null, false, false);
  }
}
