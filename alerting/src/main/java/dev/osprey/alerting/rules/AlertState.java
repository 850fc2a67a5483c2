package dev.osprey.alerting.rules;

/** An alert's state as Prometheus names it in the API and the {@code alertstate} label. */
public enum AlertState {
  INACTIVE("inactive"),
  PENDING("pending"),
  FIRING("firing");

  private final String text;

  AlertState(String text) {
    this.text = text;
  }

  public String text() {
    return text;
  }
}
