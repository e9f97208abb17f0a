package org.ehrledger.web.api;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a resource method whose answer carries a secret (a session token, a password, an enrolment code):
 * {@link Idempotency} never stores such an answer, so a retry with the same key is told that the request
 * was carried out, but never shown the secret again.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface AnswerCarriesSecret {
}
