package dev.osprey.core.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RouterTest {
  private static final HttpHandler H = r -> HttpResponse.noContent();

  @Test
  void literalBeatsParameter() {
    HttpHandler lit = r -> HttpResponse.text(200, "lit");
    Router r =
        new Router()
            .get("/api/v1/label/{name}/values", H)
            .get("/api/v1/label/__name__/values", lit);
    assertThat(r.match("GET", "/api/v1/label/__name__/values").route().handler()).isSameAs(lit);
    Router.Match m = r.match("GET", "/api/v1/label/job/values");
    assertThat(m.route().handler()).isSameAs(H);
    assertThat(m.pathParams()).containsEntry("name", "job");
  }

  @Test
  void restParameterTakesTheRemainder() {
    Router r = new Router().get("/static/{file*}", H);
    assertThat(r.match("GET", "/static/js/app.js").pathParams()).containsEntry("file", "js/app.js");
  }

  @Test
  void notFoundVersusMethodNotAllowed() {
    Router r = new Router().post("/api/v1/write", H);
    assertThat(r.match("GET", "/api/v1/write").status()).isEqualTo(405);
    assertThat(r.match("GET", "/api/v1/write").allowed()).containsExactly("POST");
    assertThat(r.match("POST", "/api/v1/writes").status()).isEqualTo(404);
    assertThat(r.match("POST", "/api/v1").status()).isEqualTo(404);
  }

  @Test
  void duplicateRouteRejected() {
    Router r = new Router().get("/a", H);
    assertThatThrownBy(() -> r.get("/a", H)).hasMessageContaining("already registered");
    assertThatThrownBy(() -> r.get("a", H)).hasMessageContaining("must start with /");
  }
}
