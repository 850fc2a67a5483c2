package dev.osprey.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * The processes' logging, set up in code: one line per event on stderr, key=value facts (STYLE.md),
 * {@code OSPREY_LOG_LEVEL} overriding the level (INFO). Found by logback through {@code
 * META-INF/services}; set up in code rather than from XML because reading an XML configuration
 * loads an XML parser and a few hundred classes at every start.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogConfig extends ContextAwareBase implements Configurator {
  static final String PATTERN =
      "ts=%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX,UTC} level=%level logger=%logger{0} %msg%n";

  @Override
  public ExecutionStatus configure(LoggerContext ctx) {
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(ctx);
    encoder.setPattern(PATTERN);
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(ctx);
    stderr.setName("STDERR");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();
    Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
    String level = System.getenv("OSPREY_LOG_LEVEL");
    root.setLevel(Level.toLevel(level == null ? "INFO" : level, Level.INFO));
    root.addAppender(stderr);
    ctx.getLogger("io.netty").setLevel(Level.WARN);
    ctx.getLogger("net.openhft").setLevel(Level.WARN);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
