#ifndef FARMWATCH_CPCAP_SHIM_H
#define FARMWATCH_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
