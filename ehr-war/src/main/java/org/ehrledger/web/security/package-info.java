/** Jakarta Security for the portal and the APIs: who the caller is, from verified credentials only. */
package org.ehrledger.web.security;
