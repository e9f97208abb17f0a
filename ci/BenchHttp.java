import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the end-to-end benchmarks (ci/E2eBench.java, ci/ClinicalBench.java, ci/FhirImportBench.java) share: one HTTP client, JSON calls
 * to the API, a field out of a flat JSON answer, percentiles, signals to replica processes and waiting for the
 * replicas to agree on their head. No dependencies: the scripts compile it with javac beside the benchmark.
 */
final class BenchHttp {

    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private BenchHttp() {
    }

    /** An answer: status and body. */
    record Reply(int status, String body) {
    }

    /** Sends a JSON request (body may be null), with a bearer token if given and extra header name/value pairs. */
    static Reply send(String method, String url, String token, String json, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }

    /** POSTs and returns the body; anything but the expected status is an error. */
    static String post(String url, String token, String json, int expected) throws Exception {
        Reply r = send("POST", url, token, json);
        if (r.status() != expected) {
            throw new IllegalStateException(url + " answered " + r.status() + ": " + r.body());
        }
        return r.body();
    }

    /** GETs without authentication (slow answers such as a chain verification are waited for). */
    static String get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(5)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The first value of a field in a JSON answer (strings unquoted), or an error if absent. */
    static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"?([^\",}]*)").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no " + name + " in " + json);
        }
        return m.group(1);
    }

    /** The q-quantile of durations in nanoseconds, in milliseconds (0 when empty). */
    static double percentile(List<Long> nanos, double q) {
        if (nanos.isEmpty()) {
            return 0;
        }
        List<Long> sorted = new ArrayList<>(nanos);
        sorted.sort(null);
        return sorted.get(Math.min(sorted.size() - 1, (int) (sorted.size() * q))) / 1e6;
    }

    /** Sends a signal (STOP, CONT, KILL) to a process. */
    static void signal(String signal, String pid) throws Exception {
        new ProcessBuilder("kill", "-" + signal, pid).inheritIO().start().waitFor();
    }

    /** Waits up to maxSeconds until the replicas report the same head hash. */
    static void waitForEqualHeads(List<String> bases, int maxSeconds) throws Exception {
        long deadline = System.nanoTime() + maxSeconds * 1_000_000_000L;
        Thread.sleep(2000); // let every replica store the last blocks
        while (System.nanoTime() < deadline) {
            Set<String> heads = new HashSet<>();
            for (String base : bases) {
                try {
                    heads.add(field(get(base + "/cluster"), "headHash"));
                } catch (Exception e) {
                    heads.add("unreachable " + base);
                }
            }
            if (heads.size() == 1) {
                return;
            }
            Thread.sleep(1000);
        }
        System.out.println("  the replicas' heads still differ after " + maxSeconds + " s");
    }
}
