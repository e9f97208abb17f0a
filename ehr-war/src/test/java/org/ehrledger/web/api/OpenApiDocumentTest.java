package org.ehrledger.web.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;

import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document the replicas serve ({@code META-INF/openapi.json}, see {@link OpenApiDocumentFilter}) is
 * generated from the JSON API's resource classes, the explicit list {@link ApiApplication#getClasses()}, and
 * checked in: nothing is scanned at run time. This test generates it again and fails if the checked-in copy
 * differs; {@code mvn test -pl ehr-war -Dtest=OpenApiDocumentTest -Dopenapi.write=true} rewrites it.
 */
class OpenApiDocumentTest {

    static final Path DOCUMENT = Path.of("src/main/resources/META-INF/openapi.json");
    private static final String PREFIX = "/api/v1";

    @Test
    void theServedDocumentIsTheOneTheResourceClassesDescribe() throws IOException {
        String generated = Json.write(document()) + "\n";
        if (Boolean.getBoolean("openapi.write")) {
            Files.writeString(DOCUMENT, generated, StandardCharsets.UTF_8);
        }
        String served = Files.readString(DOCUMENT, StandardCharsets.UTF_8);
        assertEquals(generated, served, "the JSON API changed: regenerate " + DOCUMENT
                + " with mvn test -pl ehr-war -am -Dtest=OpenApiDocumentTest -Dsurefire.failIfNoSpecifiedTests=false -Dopenapi.write=true");
        for (String path : List.of("/api/v1/sessions", "/api/v1/patients/{patientId}/records", "/api/v1/blocks/verification",
                "/api/v1/receipts/{height}/{index}")) {
            assertTrue(served.contains("\"" + path + "\""), path);
        }
    }

    /** The document: info, the bearer scheme, every operation of the resource classes, and the schemas they use. */
    static Map<String, Object> document() {
        Map<String, Object> schemas = new TreeMap<>();
        Map<String, Map<String, Object>> paths = new TreeMap<>();
        List<Class<?>> resources = new ArrayList<>(new ApiApplication().getClasses().stream()
                .filter(c -> c.isAnnotationPresent(jakarta.ws.rs.Path.class)).toList());
        resources.sort(Comparator.comparing(Class::getName));
        for (Class<?> resource : resources) {
            String base = template(resource.getAnnotation(jakarta.ws.rs.Path.class).value());
            Method[] methods = resource.getMethods();
            Arrays.sort(methods, Comparator.comparing(Method::toGenericString));
            for (Method m : methods) {
                String verb = verb(m);
                if (verb == null) {
                    continue;
                }
                jakarta.ws.rs.Path sub = m.getAnnotation(jakarta.ws.rs.Path.class);
                String path = PREFIX + join(base, sub == null ? "" : template(sub.value()));
                paths.computeIfAbsent(path, p -> new TreeMap<>()).put(verb, operation(resource, m, schemas));
            }
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("openapi", "3.0.3");
        doc.put("info", map("title", "EHR Ledger JSON API", "version", "1", "description",
                "Patients, practitioners, records, prescriptions, consents, the access log, break-glass and emergency access, "
                        + "blocks, receipts and cluster status of one EHR Ledger replica. Every write answers with its committed "
                        + "receipt (block, transaction index, Merkle proof, commit certificate) or an application/problem+json "
                        + "error with a stable code. Send Idempotency-Key on writes to make retries safe. This document is "
                        + "generated from the resource classes at build time and served as a static file."));
        doc.put("security", List.of(map("bearer", List.of())));
        doc.put("paths", paths);
        doc.put("components", map("securitySchemes", map("bearer", map("type", "http", "scheme", "bearer", "description",
                "The token from POST /api/v1/sessions (user id and password of a person or an integration account)")),
                "schemas", schemas));
        return doc;
    }

    private static Map<String, Object> operation(Class<?> resource, Method m, Map<String, Object> schemas) {
        Map<String, Object> op = new LinkedHashMap<>();
        op.put("operationId", resource.getSimpleName().replace("Resource", "").toLowerCase() + "_" + m.getName());
        List<Object> parameters = new ArrayList<>();
        Object body = null;
        for (Parameter p : m.getParameters()) {
            if (p.isAnnotationPresent(PathParam.class)) {
                parameters.add(map("name", p.getAnnotation(PathParam.class).value(), "in", "path", "required", true,
                        "schema", schema(p.getParameterizedType(), schemas)));
            } else if (p.isAnnotationPresent(QueryParam.class)) {
                parameters.add(map("name", p.getAnnotation(QueryParam.class).value(), "in", "query",
                        "schema", schema(p.getParameterizedType(), schemas)));
            } else if (p.isAnnotationPresent(HeaderParam.class)) {
                parameters.add(map("name", p.getAnnotation(HeaderParam.class).value(), "in", "header",
                        "schema", schema(p.getParameterizedType(), schemas)));
            } else if (!p.isAnnotationPresent(Context.class)) {
                body = schema(p.getParameterizedType(), schemas);
            }
        }
        if (!parameters.isEmpty()) {
            op.put("parameters", parameters);
        }
        if (body != null) {
            op.put("requestBody", map("required", true, "content", map("application/json", map("schema", body))));
        }
        Map<String, Object> responses = new LinkedHashMap<>();
        Type returned = m.getGenericReturnType();
        if (returned == jakarta.ws.rs.core.Response.class || returned == Object.class) {
            responses.put("2XX", map("description", "the result (a write answers with its committed receipt)"));
        } else if (returned == byte[].class) {
            responses.put("200", map("description", "the result", "content", map("application/octet-stream",
                    map("schema", map("type", "string", "format", "binary")))));
        } else {
            responses.put("200", map("description", "the result", "content", map("application/json",
                    map("schema", schema(returned, schemas)))));
        }
        responses.put("default", map("description", "an error: application/problem+json with a stable code",
                "content", map("application/problem+json", map("schema", map("$ref", "#/components/schemas/Problem")))));
        schemas.putIfAbsent("Problem", map("type", "object", "properties", map("type", map("type", "string"), "title",
                map("type", "string"), "status", map("type", "integer"), "detail", map("type", "string"), "code",
                map("type", "string"))));
        op.put("responses", responses);
        return op;
    }

    private static Object schema(Type type, Map<String, Object> schemas) {
        if (type instanceof ParameterizedType p) {
            Class<?> raw = (Class<?>) p.getRawType();
            Type[] args = p.getActualTypeArguments();
            if (List.class.isAssignableFrom(raw) || java.util.Set.class.isAssignableFrom(raw)) {
                return map("type", "array", "items", schema(args[0], schemas));
            }
            if (Map.class.isAssignableFrom(raw)) {
                return map("type", "object", "additionalProperties", schema(args[1], schemas));
            }
            if (raw == Page.class) {
                return map("type", "object", "properties", map("items", map("type", "array", "items", schema(args[0], schemas)),
                        "nextCursor", map("type", "string", "nullable", true)));
            }
            return schema(raw, schemas);
        }
        Class<?> c = (Class<?>) type;
        if (c == String.class || c == char[].class) {
            return map("type", "string");
        }
        if (c == int.class || c == Integer.class) {
            return map("type", "integer", "format", "int32");
        }
        if (c == long.class || c == Long.class) {
            return map("type", "integer", "format", "int64");
        }
        if (c == boolean.class || c == Boolean.class) {
            return map("type", "boolean");
        }
        if (c == double.class || c == Double.class || c == float.class || c == Float.class) {
            return map("type", "number");
        }
        if (c.isEnum()) {
            return map("type", "string", "enum", Arrays.stream(c.getEnumConstants()).map(Object::toString).toList());
        }
        if (c.isRecord()) {
            String name = name(c);
            if (!schemas.containsKey(name)) {
                schemas.put(name, Map.of()); // placeholder: records may refer to themselves
                Map<String, Object> properties = new LinkedHashMap<>();
                for (RecordComponent rc : c.getRecordComponents()) {
                    properties.put(rc.getName(), schema(rc.getGenericType(), schemas));
                }
                schemas.put(name, map("type", "object", "properties", properties));
            }
            return map("$ref", "#/components/schemas/" + name);
        }
        return map("type", "object"); // JsonObject and other free-form JSON
    }

    private static String name(Class<?> c) {
        return c.getEnclosingClass() == null ? c.getSimpleName()
                : c.getEnclosingClass().getSimpleName().replace("Resource", "").replace("Service", "") + c.getSimpleName();
    }

    private static String verb(Method m) {
        return m.isAnnotationPresent(GET.class) ? "get" : m.isAnnotationPresent(POST.class) ? "post"
                : m.isAnnotationPresent(PUT.class) ? "put" : m.isAnnotationPresent(DELETE.class) ? "delete" : null;
    }

    /** A JAX-RS path as an OpenAPI template: {@code {height: [0-9]{1,18}}} becomes {@code {height}}. */
    static String template(String path) {
        StringBuilder out = new StringBuilder();
        int depth = 0;
        boolean skipping = false;
        for (char ch : path.toCharArray()) {
            if (ch == '{') {
                depth++;
                if (depth == 1) {
                    out.append(ch);
                    skipping = false;
                    continue;
                }
            } else if (ch == '}') {
                depth--;
                if (depth == 0) {
                    out.append(ch);
                    skipping = false;
                    continue;
                }
            } else if (ch == ':' && depth == 1) {
                skipping = true;
            }
            if (!skipping && depth <= 1) {
                out.append(ch);
            }
        }
        return out.toString().replace(" ", "");
    }

    private static String join(String a, String b) {
        String s = ("/" + a + "/" + b).replaceAll("/+", "/");
        return s.length() > 1 && s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void pathTemplatesLoseTheirRegularExpressions() {
        assertEquals("blocks/{height}", template("blocks/{height: [0-9]{1,18}}"));
        assertEquals("receipts/{height}/{index}", template("receipts/{height: [0-9]+}/{index}"));
    }

    /** A small, deterministic JSON writer (two-space indentation, keys in insertion order). */
    static final class Json {
        static String write(Object value) {
            StringBuilder out = new StringBuilder();
            write(value, out, "");
            return out.toString();
        }

        private static void write(Object v, StringBuilder out, String indent) {
            if (v instanceof Map<?, ?> m) {
                if (m.isEmpty()) {
                    out.append("{}");
                    return;
                }
                out.append("{\n");
                int i = 0;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    out.append(indent).append("  ");
                    string(e.getKey().toString(), out);
                    out.append(": ");
                    write(e.getValue(), out, indent + "  ");
                    out.append(++i < m.size() ? ",\n" : "\n");
                }
                out.append(indent).append('}');
            } else if (v instanceof List<?> l) {
                if (l.isEmpty()) {
                    out.append("[]");
                    return;
                }
                out.append("[\n");
                for (int i = 0; i < l.size(); i++) {
                    out.append(indent).append("  ");
                    write(l.get(i), out, indent + "  ");
                    out.append(i + 1 < l.size() ? ",\n" : "\n");
                }
                out.append(indent).append(']');
            } else if (v instanceof String s) {
                string(s, out);
            } else {
                out.append(v);
            }
        }

        private static void string(String s, StringBuilder out) {
            out.append('"');
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    default -> {
                        if (c < 0x20) {
                            out.append(String.format("\\u%04x", (int) c));
                        } else {
                            out.append(c);
                        }
                    }
                }
            }
            out.append('"');
        }
    }
}
