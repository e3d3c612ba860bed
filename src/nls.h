/* Native language support: _() translates, N_() marks for translation, P_()
 * picks a plural form. Identity when built without NLS. */
#ifndef K8SW_NLS_H
#define K8SW_NLS_H

#ifdef ENABLE_NLS
#include <libintl.h>
#define _(s) gettext(s)
#define P_(s, p, n) ngettext(s, p, n)
#else
#define _(s) (s)
#define P_(s, p, n) ((n) == 1 ? (s) : (p))
#define textdomain(d)
#define bindtextdomain(p, d)
#endif
#define N_(s) (s)

#endif
