package org.ehrledger.web.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import jakarta.ws.rs.core.MediaType;

import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;

import org.ehrledger.consensus.codec.Digest;

/**
 * A FHIR request body as the facade reads it: JSON parsed as it arrives, bounded, hashed over every byte sent; XML
 * refused with a DOCTYPE; an empty, malformed or oversized body refused with what to do.
 */
class RequestBodyTest {

    private static final MediaType JSON = new MediaType("application", "fhir+json");
    private static final MediaType XML = new MediaType("application", "fhir+xml");
    private static final String OBSERVATION = "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"HbA1c\"}}";

    private static <R extends Resource> R read(Class<R> type, MediaType media, String body, int max) throws Exception {
        return FhirProviders.Reader.read(type, media, new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)), max);
    }

    private static FhirException refused(Class<? extends Resource> type, MediaType media, String body, int max) {
        return assertThrows(FhirException.class, () -> read(type, media, body, max));
    }

    @Test
    void aJsonResourceIsParsedAndItsHashCoversEveryByteSentTrailingSpaceIncluded() throws Exception {
        String sent = OBSERVATION + "\n  \n";
        Observation o = read(Observation.class, JSON, sent, 1 << 20);
        assertEquals("HbA1c", o.getCode().getText());
        assertEquals(Digest.sha256(sent.getBytes(StandardCharsets.UTF_8)).hex(), o.getUserData(Transactions.BODY_HASH));
        String xml = "<Observation xmlns=\"http://hl7.org/fhir\"><status value=\"final\"/><code><text value=\"Ü\"/></code></Observation>";
        Observation fromXml = read(Observation.class, XML, xml, 1 << 20);
        assertEquals("Ü", fromXml.getCode().getText());
        assertEquals(Digest.sha256(xml.getBytes(StandardCharsets.UTF_8)).hex(), fromXml.getUserData(Transactions.BODY_HASH));
    }

    @Test
    void aBodyOverItsBoundIsRefusedWith413WhereverTheBoundFalls() {
        String big = "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"" + "x".repeat(5000) + "\"}}";
        for (String body : new String[] {big, OBSERVATION + " ".repeat(5000)}) { // in the resource, or after it
            for (MediaType media : new MediaType[] {JSON, XML}) {
                FhirException e = refused(Observation.class, media, media == XML ? "<a>" + body + "</a>" : body, 4096);
                assertEquals(413, e.status(), media.getSubtype() + ": " + e.getMessage());
                assertTrue(e.getMessage().contains("limited to"), e.getMessage());
            }
        }
    }

    @Test
    void anEndlessBodyIsReadOnlyToItsBound() {
        long[] served = {0};
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                served[0]++;
                return ' ';
            }

            @Override
            public int read(byte[] b, int off, int len) {
                java.util.Arrays.fill(b, off, off + len, (byte) ' ');
                served[0] += len;
                return len;
            }
        };
        FhirException e = assertThrows(FhirException.class, () -> FhirProviders.Reader.read(Bundle.class, JSON, endless, 1 << 20));
        assertEquals(413, e.status());
        assertTrue(served[0] < (1 << 20) + (1 << 17), "read " + served[0] + " bytes");
    }

    @Test
    void emptyMalformedWrongTypeAndDoctypeBodiesAreRefusedWithWhatToDo() {
        assertTrue(refused(Observation.class, JSON, "", 4096).getMessage().contains("no body"));
        assertTrue(refused(Observation.class, XML, "", 4096).getMessage().contains("no body"));
        FhirException malformed = refused(Observation.class, JSON, "{\"resourceType\":\"Observation\",", 4096);
        assertEquals(400, malformed.status());
        assertTrue(malformed.getMessage().contains("not a valid FHIR R4 resource in JSON"), malformed.getMessage());
        FhirException wrong = refused(Bundle.class, JSON, OBSERVATION, 4096);
        assertEquals(400, wrong.status());
        assertTrue(wrong.getMessage().contains("expected a Bundle"), wrong.getMessage());
        FhirException doctype = refused(Observation.class, XML, "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM "
                + "\"file:///etc/passwd\">]><Observation xmlns=\"http://hl7.org/fhir\"><status value=\"final\"/></Observation>", 4096);
        assertEquals(400, doctype.status());
        assertTrue(doctype.getMessage().contains("DOCTYPE"), doctype.getMessage());
    }
}
