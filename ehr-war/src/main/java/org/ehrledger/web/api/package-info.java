/**
 * The JSON API under {@code /api/v1}: thin resources over the session beans; every error is an
 * {@code application/problem+json} document (RFC 9457) with a stable {@code code}.
 */
package org.ehrledger.web.api;
