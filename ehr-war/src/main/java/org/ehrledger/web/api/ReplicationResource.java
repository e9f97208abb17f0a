package org.ehrledger.web.api;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import org.ehrledger.ejb.application.service.ReplicationService;

/** Block synchronisation between replicas (authenticated by replica signatures, see BlockSync). */
@Path("/replication")
public class ReplicationResource {

    @Inject
    ReplicationService replication;

    /** Blocks from a height, for a replica that is catching up. */
    @GET
    @Path("blocks")
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    public byte[] blocks(@QueryParam("from") long from, @QueryParam("max") int max,
                         @HeaderParam("X-Replica-Id") int replica, @HeaderParam("X-Replica-Time") long time,
                         @HeaderParam("X-Replica-Signature") String signature) {
        return replication.blocks(replica, from, max, time, signature);
    }
}
