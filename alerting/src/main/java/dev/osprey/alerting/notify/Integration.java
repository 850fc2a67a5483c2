package dev.osprey.alerting.notify;

/** One way a receiver delivers: a webhook, a Slack URL, a PagerDuty routing key. */
public interface Integration {
  /** Alertmanager's integration name: webhook, slack, pagerduty. */
  String name();

  boolean sendResolved();

  /**
   * Delivers one notification.
   *
   * @throws RetryableException for failures worth retrying (5xx, 429, I/O)
   * @throws Exception for permanent failures (other 4xx)
   */
  void send(NotifyData data) throws Exception;

  /** A failure that may succeed when tried again. */
  final class RetryableException extends Exception {
    public RetryableException(String message) {
      super(message, null, false, false);
    }
  }
}
