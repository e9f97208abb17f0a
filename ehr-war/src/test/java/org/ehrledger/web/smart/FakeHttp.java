package org.ehrledger.web.smart;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/** A form POST to one of the authorization server's endpoints and its answer, without a server. */
final class FakeHttp {

    /** What an endpoint answered. */
    record Answer(int status, String body, Map<String, String> headers) {

        JsonObject json() {
            return Json.createReader(new java.io.StringReader(body)).readObject();
        }

        String error() {
            return json().getString("error");
        }
    }

    private FakeHttp() {
    }

    /** POSTs a form ({@code key, value, ...}) to an endpoint at {@code url}. */
    static Answer post(OAuthEndpoint endpoint, String url, String contentType, String... form) throws Exception {
        Map<String, String> parameters = new LinkedHashMap<>();
        for (int i = 0; i < form.length; i += 2) {
            parameters.put(form[i], form[i + 1]);
        }
        HttpServletRequest request = (HttpServletRequest) Proxy.newProxyInstance(FakeHttp.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getContentType" -> contentType;
                    case "getContentLength" -> 100;
                    case "getMethod" -> "POST";
                    case "getParameter" -> parameters.get((String) args[0]);
                    case "getRequestURL" -> new StringBuffer(url);
                    case "getHeader" -> null;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        StringWriter body = new StringWriter();
        PrintWriter writer = new PrintWriter(body);
        int[] status = {200};
        Map<String, String> headers = new HashMap<>();
        HttpServletResponse response = (HttpServletResponse) Proxy.newProxyInstance(FakeHttp.class.getClassLoader(),
                new Class<?>[] {HttpServletResponse.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "setStatus" -> status[0] = (Integer) args[0];
                        case "setHeader" -> headers.put((String) args[0], (String) args[1]);
                        case "setContentType" -> headers.put("Content-Type", (String) args[0]);
                        case "getWriter" -> {
                            return writer;
                        }
                        default -> throw new UnsupportedOperationException(method.getName());
                    }
                    return null;
                });
        endpoint.doPost(request, response);
        writer.flush();
        return new Answer(status[0], body.toString(), headers);
    }
}
