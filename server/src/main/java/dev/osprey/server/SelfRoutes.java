package dev.osprey.server;

import dev.osprey.core.http.HttpResponse;
import dev.osprey.core.http.RouteProvider;
import dev.osprey.core.http.Router;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;

/** Self-observability: /metrics, health and readiness probes, build info. */
final class SelfRoutes implements RouteProvider {
  private final PrometheusMeterRegistry registry;
  private final BooleanSupplier ready;

  SelfRoutes(PrometheusMeterRegistry registry, BooleanSupplier ready) {
    this.registry = registry;
    this.ready = ready;
  }

  @Override
  public void register(Router router) {
    router.get(
        "/metrics",
        r ->
            new HttpResponse(
                200,
                "text/plain; version=0.0.4; charset=utf-8",
                registry.scrape().getBytes(StandardCharsets.UTF_8)));
    router.get("/-/healthy", r -> HttpResponse.text(200, "Osprey is Healthy.\n"));
    router.get(
        "/-/ready",
        r ->
            ready.getAsBoolean()
                ? HttpResponse.text(200, "Osprey is Ready.\n")
                : HttpResponse.text(503, "Service Unavailable\n"));
    router.get("/api/v1/status/buildinfo", r -> HttpResponse.success(BuildInfo.asPrometheusData()));
  }
}
