package dev.osprey.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.ConsoleAppender;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class LogConfigTest {
  @Test
  void oneKeyValueLinePerEventOnStderrAndNettyQuiet() {
    PrintStream saved = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    LoggerContext ctx = new LoggerContext();
    ctx.setMDCAdapter(new LogbackMDCAdapter()); // what logback's service provider sets up
    try {
      System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
      LogConfig c = new LogConfig();
      c.setContext(ctx);
      c.configure(ctx);
      ctx.getLogger("dev.osprey.x.Thing").info("event=started n=1");
      ctx.getLogger("io.netty.Foo").info("noise");
      ctx.getLogger("io.netty.Foo").warn("event=bad");
      ctx.getLogger("dev.osprey.x.Thing").debug("hidden");
    } finally {
      ctx.stop();
      System.setErr(saved);
    }
    String[] lines = buf.toString(StandardCharsets.UTF_8).split("\n");
    assertThat(lines).hasSize(2);
    assertThat(lines[0])
        .matches(
            "ts=\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z level=INFO logger=Thing"
                + " event=started n=1");
    assertThat(lines[1]).endsWith("level=WARN logger=Foo event=bad");
    // logback found it through META-INF/services and ran it for this JVM's own context
    LoggerContext live = (LoggerContext) LoggerFactory.getILoggerFactory();
    var appender = live.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR");
    assertThat(appender).isInstanceOf(ConsoleAppender.class);
    assertThat(((PatternLayoutEncoder) ((ConsoleAppender<?>) appender).getEncoder()).getPattern())
        .isEqualTo(LogConfig.PATTERN);
  }
}
