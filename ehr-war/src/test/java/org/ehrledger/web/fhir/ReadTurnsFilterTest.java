package org.ehrledger.web.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.StringReader;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.ehrledger.ejb.application.Turns;
import org.junit.jupiter.api.Test;

/**
 * FHIR reads beyond the bound wait for a turn and are then answered BUSY as an OperationOutcome; discovery and the bulk
 * jobs' downloads never wait; a read that fails gives its turn back. (Servlet request and response are stand-ins: only
 * the filter's own logic is under test; FhirIT runs it in Payara.)
 */
class ReadTurnsFilterTest {

    private final ReadTurnsFilter filter = new ReadTurnsFilter(new Turns(1, 300, "too many reads at once; try again in a few seconds"));

    @Test
    void aReadBeyondTheBoundWaitsThenIsAnsweredBusyWhileDiscoveryAndDownloadsPassAndTheTurnComesBack() throws Exception {
        CountDownLatch reading = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        CompletableFuture<Answer> everything = CompletableFuture.supplyAsync(() -> run("GET", "/Patient/p1/$everything", () -> {
            reading.countDown();
            finish.await(30, TimeUnit.SECONDS);
        }));
        assertTrue(reading.await(30, TimeUnit.SECONDS));

        AtomicInteger ran = new AtomicInteger();
        long started = System.nanoTime();
        Answer busy = run("GET", "/Observation", ran::incrementAndGet);
        assertTrue(System.nanoTime() - started >= TimeUnit.MILLISECONDS.toNanos(250), "it waited for a turn first");
        assertEquals(0, ran.get(), "the refused read did not run");
        assertEquals(503, busy.status);
        assertEquals("5", busy.headers.get("Retry-After"));
        JsonObject outcome = Json.createReader(new StringReader(busy.body)).readObject();
        assertEquals("OperationOutcome", outcome.getString("resourceType"));
        JsonObject issue = outcome.getJsonArray("issue").getJsonObject(0);
        assertEquals("BUSY", issue.getJsonObject("details").getJsonArray("coding").getJsonObject(0).getString("code"));
        assertTrue(issue.getString("diagnostics").contains("try again"), issue.getString("diagnostics"));

        // not counted: discovery, the bulk jobs' status and files (also with "$" percent-encoded: the path is decoded),
        // and writes
        for (String[] free : new String[][] {{"GET", "/metadata"}, {"GET", "/.well-known/smart-configuration"},
                {"GET", "/" + FhirEndpoint.EXPORTS + "/j1/Observation.ndjson"}, {"GET", "/" + FhirEndpoint.IMPORTS + "/j2"},
                {"POST", "/Observation"}, {"POST", ""}}) {
            assertEquals(200, run(free[0], free[1], ran::incrementAndGet).status, free[1]);
        }
        assertEquals(6, ran.get());

        // counted when the container gives no path info too: the request's own (decoded) path decides
        assertTrue(ReadTurnsFilter.counted(request("GET", "/Observation", false)));
        assertFalse(ReadTurnsFilter.counted(request("GET", "/%24export-jobs/j1/Observation.ndjson", false)));
        assertFalse(ReadTurnsFilter.counted(request("GET", "/metadata", false)));
        assertTrue(ReadTurnsFilter.counted(request("GET", "", false)), "anything else is counted");

        finish.countDown();
        assertEquals(200, everything.get(30, TimeUnit.SECONDS).status);
        assertEquals(200, run("GET", "/Patient/p1", ran::incrementAndGet).status, "the turn is free again");
    }

    @Test
    void aReadThatFailsGivesItsTurnBack() {
        assertThrows(IllegalStateException.class, () -> filter.doFilter(request("GET", "/Observation"), response(new Answer()),
                (FilterChain) (q, r) -> {
                    throw new IllegalStateException("the database went away");
                }));
        assertEquals(200, run("GET", "/Observation", () -> { }).status);
    }

    private interface Work {
        void run() throws Exception;
    }

    private static final class Answer {
        int status = 200;
        final Map<String, String> headers = new HashMap<>();
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        String body;
    }

    private Answer run(String method, String pathInfo, Work work) {
        Answer a = new Answer();
        try {
            filter.doFilter(request(method, pathInfo), response(a), (q, r) -> {
                try {
                    work.run();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        a.body = a.bytes.toString(StandardCharsets.UTF_8);
        return a;
    }

    private static HttpServletRequest request(String method, String pathInfo) {
        return request(method, pathInfo, true);
    }

    private static HttpServletRequest request(String method, String pathInfo, boolean withPathInfo) {
        return (HttpServletRequest) Proxy.newProxyInstance(ReadTurnsFilterTest.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (p, m, args) -> switch (m.getName()) {
                    case "getMethod" -> method;
                    case "getPathInfo" -> pathInfo.isEmpty() || !withPathInfo ? null : pathInfo;
                    case "getServletPath" -> "/fhir/r4";
                    case "getContextPath" -> "";
                    case "getRequestURI" -> "/fhir/r4" + pathInfo;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }

    private static HttpServletResponse response(Answer a) {
        ServletOutputStream out = new ServletOutputStream() {
            @Override
            public boolean isReady() {
                return true;
            }

            @Override
            public void setWriteListener(WriteListener listener) {
            }

            @Override
            public void write(int b) {
                a.bytes.write(b);
            }
        };
        return (HttpServletResponse) Proxy.newProxyInstance(ReadTurnsFilterTest.class.getClassLoader(),
                new Class<?>[] {HttpServletResponse.class}, (p, m, args) -> switch (m.getName()) {
                    case "setStatus" -> {
                        a.status = (Integer) args[0];
                        yield null;
                    }
                    case "setHeader" -> {
                        a.headers.put((String) args[0], (String) args[1]);
                        yield null;
                    }
                    case "setContentType" -> null;
                    case "getOutputStream" -> out;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }
}
