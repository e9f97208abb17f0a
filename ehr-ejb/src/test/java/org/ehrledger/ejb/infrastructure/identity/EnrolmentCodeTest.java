package org.ehrledger.ejb.infrastructure.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class EnrolmentCodeTest {

    @Test
    void aCodeHas120RandomBitsInGroupsOfFourAndIsNeverRepeated() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 1_000; i++) {
            String code = EnrolmentCode.generate();
            assertTrue(code.matches("[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){5}"), code);
            assertTrue(seen.add(code), "repeated " + code);
        }
        assertEquals(120, EnrolmentCode.LENGTH * Integer.numberOfTrailingZeros(EnrolmentCode.ALPHABET.length()));
    }

    @Test
    void theVerifierMatchesTheCodeAsPeopleTypeItAndNothingElse() {
        String code = EnrolmentCode.generate();
        String verifier = EnrolmentCode.verifier("dr.smith", code);
        assertEquals(64, verifier.length());
        assertFalse(verifier.contains(code.replace("-", "")), "the verifier does not contain the code");
        assertTrue(EnrolmentCode.matches(verifier, "dr.smith", code));
        assertTrue(EnrolmentCode.matches(verifier, "dr.smith", " " + code.toLowerCase().replace("-", " ") + " "));
        String other = EnrolmentCode.generate();
        assertFalse(EnrolmentCode.matches(verifier, "dr.smith", other));
        assertFalse(EnrolmentCode.matches(verifier, "dr.jones", code), "a code is bound to its person");
        assertFalse(EnrolmentCode.matches(verifier, "dr.smith", code.substring(0, code.length() - 1)));
        assertFalse(EnrolmentCode.matches(verifier, "dr.smith", null));
        assertFalse(EnrolmentCode.matches(null, "dr.smith", code));
        assertFalse(EnrolmentCode.matches(EnrolmentRow.REDEEMING, "dr.smith", code), "a code being redeemed matches nothing");
    }

    @Test
    void lettersPeopleConfuseAreReadAsTheDigitsTheyResemble() {
        String code = "0000-1111-2222-3333-4444-5555";
        assertEquals(EnrolmentCode.verifier("p", code), EnrolmentCode.verifier("p", "OOOO-IIII-2222-3333-4444-5555"));
        assertEquals(EnrolmentCode.verifier("p", code), EnrolmentCode.verifier("p", "oooo-llll-2222-3333-4444-5555"));
        assertNull(EnrolmentCode.normalise("0000-1111-2222-3333-4444-555U"), "U is not in the alphabet");
        assertNull(EnrolmentCode.normalise("x".repeat(65)));
        assertNotEquals(EnrolmentCode.verifier("p", code), EnrolmentCode.verifier("p", "0000-1111-2222-3333-4444-5556"));
    }

    @Test
    void aCodeIsValidUntilItsExpiryAndAReissueCountsAndReplacesIt() {
        EnrolmentRow row = new EnrolmentRow("dr.smith", EnrolmentCode.verifier("dr.smith", EnrolmentCode.generate()), 1_000);
        assertFalse(row.expired(999));
        assertTrue(row.expired(1_000));
        assertTrue(row.expired(5_000));
        String next = EnrolmentCode.generate();
        row.reissue(EnrolmentCode.verifier("dr.smith", next), 9_000);
        assertEquals(2, row.codesIssued());
        assertFalse(row.expired(5_000));
        assertTrue(EnrolmentCode.matches(row.codeVerifier(), "dr.smith", next));
    }
}
