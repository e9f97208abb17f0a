package org.ehrledger.ejb.application.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.ehrledger.ejb.application.EhrException;
import org.ehrledger.ejb.application.ErrorCode;

/** Structured details a writer sends with a record: plain words, never the record's own or hidden fields. */
class RecordDetailsTest {

    @Test
    void detailsWithTheNameOfAHiddenFieldAreRefusedAndNothingIsAdded() {
        for (String reserved : new String[] {"fhir", "FHIR", "Fhir", "title", "text", "author", "category"}) {
            Map<String, String> fields = new LinkedHashMap<>();
            fields.put("title", "My diary");
            EhrException e = assertThrows(EhrException.class, () -> RecordService.putDetails(fields,
                    Map.of(reserved, "{\"resourceType\":\"MedicationRequest\"}")), reserved);
            assertEquals(ErrorCode.INVALID_INPUT, e.code());
            assertTrue(e.getMessage().contains("fhir"), e.getMessage());
            assertEquals(Map.of("title", "My diary"), fields);
        }
    }

    @Test
    void ordinaryDetailsAreKept() {
        Map<String, String> fields = new LinkedHashMap<>();
        RecordService.putDetails(fields, Map.of("value", "13.5", "unit", "g/dL"));
        assertEquals(Map.of("value", "13.5", "unit", "g/dL"), fields);
    }
}
