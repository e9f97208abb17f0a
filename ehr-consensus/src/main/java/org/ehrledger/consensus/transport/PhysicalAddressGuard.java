package org.ehrledger.consensus.transport;

import java.util.function.Function;

import org.jgroups.Address;
import org.jgroups.Event;
import org.jgroups.PhysicalAddress;
import org.jgroups.stack.Protocol;
import org.jgroups.util.Tuple;

/**
 * Sits right above JGroups' transport and keeps its address cache (JGroups address to TCP address) true to the
 * signed hellos: discovery and merge messages from any member may announce a TCP address for any JGroups
 * address, and the transport believes the latest one. For an address bound by a verified hello, only the TCP
 * address signed in that hello gets through; JGroupsTransport writes that one below this guard.
 */
final class PhysicalAddressGuard extends Protocol {

    private final Function<Address, PhysicalAddress> signedPhysical;

    /** @param signedPhysical the TCP address signed for a JGroups address, or null if none is bound */
    PhysicalAddressGuard(Function<Address, PhysicalAddress> signedPhysical) {
        this.signedPhysical = signedPhysical;
    }

    @Override
    public Object down(Event evt) {
        if (evt.getType() == Event.ADD_PHYSICAL_ADDRESS) {
            Tuple<Address, PhysicalAddress> mapping = evt.getArg();
            PhysicalAddress signed = signedPhysical.apply(mapping.getVal1());
            if (signed != null && !signed.equals(mapping.getVal2())) {
                log.trace("%s: refused %s -> %s, signed %s", local_addr, mapping.getVal1(), mapping.getVal2(), signed);
                return false;
            }
        }
        return down_prot.down(evt);
    }
}
