package org.ehrledger.web.security;

import jakarta.security.enterprise.credential.Credential;

/** A live session's token, presented by trusted application code (the SOAP authentication) to the mechanism. */
public record SessionTokenCredential(String token) implements Credential {
}
