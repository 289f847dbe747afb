#pragma once

// Includes QCustomPlot under QT_NO_KEYWORDS. The Debian header (QCustomPlot
// 2.1.0) still spells `signals` and `foreach`, which QT_NO_KEYWORDS removes, so
// both are defined for the duration of the include only. Every widget includes
// this header instead of <qcustomplot.h>.
#ifndef signals
#define signals Q_SIGNALS
#define EVLF_QCP_DEFINED_SIGNALS
#endif
#ifndef foreach
#define foreach Q_FOREACH
#define EVLF_QCP_DEFINED_FOREACH
#endif

#include <qcustomplot.h>

#ifdef EVLF_QCP_DEFINED_SIGNALS
#undef signals
#undef EVLF_QCP_DEFINED_SIGNALS
#endif
#ifdef EVLF_QCP_DEFINED_FOREACH
#undef foreach
#undef EVLF_QCP_DEFINED_FOREACH
#endif
