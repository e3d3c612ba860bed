/* Names of the transport's failure causes, for logs and messages. */
#include "config.h"

#include "transport.h"

#include "nls.h"

const char *transport_cause_name(enum transport_cause cause)
{
	switch (cause) {
	case TRANSPORT_OK:
		return _("no error");
	case TRANSPORT_REFUSED:
		return _("refused (host key, login or sudo)");
	case TRANSPORT_UNREACHABLE:
		return _("host unreachable");
	case TRANSPORT_LOST:
		return _("connection lost");
	case TRANSPORT_CANCELLED:
		return _("cancelled");
	case TRANSPORT_LOCAL:
		return _("local error");
	case TRANSPORT_FAILED:
	default:
		return _("failed on the host");
	}
}
