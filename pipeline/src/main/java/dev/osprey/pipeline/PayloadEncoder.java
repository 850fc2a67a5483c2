package dev.osprey.pipeline;

import java.util.List;
import java.util.Map;

/** Turns a batch of spool entries into one HTTP request body for a destination. */
public interface PayloadEncoder {
  /**
   * Encodes the records this destination understands; records of other types are skipped.
   *
   * @return the body, or null when the batch held nothing to send
   */
  Payload encode(List<SpoolEntry> batch);

  /**
   * @param body the request body
   * @param headers request headers (Content-Type, Content-Encoding, ...)
   * @param records how many records the body carries
   */
  record Payload(byte[] body, Map<String, String> headers, int records) {}
}
