/**
 * SMART on FHIR (App Launch 2 standalone and EHR launch, OpenID Connect, Backend Services): the authorization
 * server of this replica's FHIR facade. App registrations ({@link SmartClients}), EHR launches from the portal's
 * charts ({@link Launches}), the authorization-code flow with PKCE and the portal's consent page
 * ({@link AuthorizeServlet}, {@link ConsentBean}), the token endpoint ({@link TokenServlet}) with its codes, access
 * and refresh tokens ({@link SmartTokens}) and ID tokens ({@link IdTokens}, key at {@link JwksServlet}), token
 * revocation ({@link RevokeServlet}) and introspection ({@link IntrospectServlet}), the client authentication they
 * share ({@link ClientAuthentication}), and the scopes ({@link Scopes}) that narrow what a
 * person may do. Access tokens are sessions of {@code CallerSessions} at this replica, so an app acts as the
 * person on the same session beans, with the same checks and the same audit, only less.
 */
package org.ehrledger.web.smart;
