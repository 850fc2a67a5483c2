package dev.osprey.core.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A protobuf writer for tests that build a few fields of a message by hand (Prometheus's protobuf
 * exposition, remote_write requests): varints, zig-zag integers, doubles, nested bytes, strings.
 */
public final class ProtoWriter {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  public ProtoWriter varint(long v) {
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
    return this;
  }

  public ProtoWriter tag(int field, int wireType) {
    return varint((long) field << 3 | wireType);
  }

  public ProtoWriter uint(int field, long v) {
    return tag(field, 0).varint(v);
  }

  public ProtoWriter sint(int field, long v) {
    return tag(field, 0).varint((v << 1) ^ (v >> 63));
  }

  public ProtoWriter dbl(int field, double v) {
    tag(field, 1);
    long b = Double.doubleToRawLongBits(v);
    for (int i = 0; i < 8; i++) {
      out.write((int) (b >>> (8 * i)));
    }
    return this;
  }

  public ProtoWriter bytes(int field, byte[] b) {
    tag(field, 2).varint(b.length);
    out.write(b, 0, b.length);
    return this;
  }

  public ProtoWriter str(int field, String s) {
    return bytes(field, s.getBytes(StandardCharsets.UTF_8));
  }

  public byte[] toBytes() {
    return out.toByteArray();
  }
}
