package org.ehrledger.web.soap;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Hardens the SOAP endpoints against hostile XML before any parser sees it. A SOAP message must not
 * contain a document type declaration (SOAP 1.1 section 3, SOAP 1.2 part 1 section 5), so any
 * {@code <!DOCTYPE} or {@code <!ENTITY} is refused: no external entities (XXE), no entity expansion
 * ("billion laughs"). Bodies are limited to {@value #MAX_BYTES} bytes. Refusals are SOAP faults.
 */
@WebFilter(urlPatterns = "/soap/*")
public class XmlGuardFilter extends HttpFilter {

    private static final long serialVersionUID = 1L;
    /** Largest SOAP request. */
    static final int MAX_BYTES = 1 << 20;

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (!"POST".equals(request.getMethod())) {
            chain.doFilter(request, response);
            return;
        }
        byte[] body = request.getInputStream().readNBytes(MAX_BYTES + 1);
        if (body.length > MAX_BYTES) {
            fault(response, "the message is larger than " + MAX_BYTES / 1024 + " KiB");
            return;
        }
        // Look in the text in every encoding a SOAP message may use (UTF-8 and UTF-16 cover the ASCII markup).
        String text = (new String(body, StandardCharsets.UTF_8) + new String(body, StandardCharsets.UTF_16LE)
                + new String(body, StandardCharsets.UTF_16BE)).toUpperCase(Locale.ROOT);
        if (text.contains("<!DOCTYPE") || text.contains("<!ENTITY")) {
            fault(response, "document type declarations and entities are not allowed in SOAP messages");
            return;
        }
        chain.doFilter(new Buffered(request, body), response);
    }

    private static void fault(HttpServletResponse response, String why) throws IOException {
        response.setStatus(500);
        response.setContentType("text/xml; charset=utf-8");
        String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><S:Envelope xmlns:S=\"http://schemas.xmlsoap.org/soap/envelope/\">"
                + "<S:Body><S:Fault><faultcode>S:Client</faultcode><faultstring>Refused: " + why
                + "</faultstring></S:Fault></S:Body></S:Envelope>";
        response.getOutputStream().write(xml.getBytes(StandardCharsets.UTF_8));
    }

    private static final class Buffered extends HttpServletRequestWrapper {
        private final byte[] body;

        Buffered(HttpServletRequest request, byte[] body) {
            super(request);
            this.body = body;
        }

        @Override
        public ServletInputStream getInputStream() {
            InputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public int read() throws IOException {
                    return in.read();
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    return in.read(b, off, len);
                }

                @Override
                public boolean isFinished() {
                    return false;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new IllegalStateException("not asynchronous");
                }
            };
        }

        @Override
        public int getContentLength() {
            return body.length;
        }

        @Override
        public long getContentLengthLong() {
            return body.length;
        }
    }
}
