/**
 * The JSF portal's backing beans: thin adapters from pages to the session beans, which do every check.
 * A bean turns a typed refusal into a message on the page; it never decides who may see what.
 */
package org.ehrledger.web.portal;
