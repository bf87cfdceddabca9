/*
 * config.c -- adapter configuration: NdisOpenConfigurationEx,
 * NdisReadConfiguration, NdisWriteConfiguration, NdisCloseConfiguration,
 * NdisReadNetworkAddress. The "registry" of an adapter is the list of
 * values the test gave mdlkit_ndis_start_adapter_ex, plus what the miniport
 * wrote since (kept for the adapter's life, as the registry would keep it).
 *
 * As NDIS does: keywords compare case-insensitively; a value stored as a
 * string is converted when an integer is asked for (decimal for
 * NdisParameterInteger, hexadecimal for NdisParameterHexInteger), an
 * integer is given as its decimal string when a string is asked for; what
 * NdisReadConfiguration returns stays valid until NdisCloseConfiguration.
 */
#include "mk_machine.h"
#include "mk_base.h"
#include "mk_driver.h"
#include "mk_ndis.h"
#include "mk_port.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cf_out {
    struct cf_out *next;
    NDIS_CONFIGURATION_PARAMETER p;
    UCHAR data[];
} cf_out;

typedef struct cf_handle {
    mk_ndis_adapter *ad;
    cf_out *outs;             /* what reads returned (freed at close) */
} cf_handle;

static char *cf_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static int cf_value_copy(mdlkit_ndis_config_value *d, const mdlkit_ndis_config_value *s)
{
    *d = *s;
    d->keyword = cf_strdup(s->keyword);
    d->string = cf_strdup(s->string);
    d->binary = NULL;
    if (s->binary && s->binary_length) {
        void *b = malloc(s->binary_length);
        if (!b)
            return 0;
        memcpy(b, s->binary, s->binary_length);
        d->binary = b;
    }
    return d->keyword != NULL;
}

static void cf_value_free(mdlkit_ndis_config_value *v)
{
    free((void *)v->keyword);
    free((void *)v->string);
    free((void *)v->binary);
    memset(v, 0, sizeof *v);
}

int mk_ndis_config_copy(mk_ndis_adapter *ad, const mdlkit_ndis_adapter_params *p)
{
    ad->config = NULL;
    ad->config_count = 0;
    if (!p || !p->config_count)
        return 1;
    ad->config = calloc(p->config_count, sizeof *ad->config);
    if (!ad->config)
        return 0;
    for (size_t i = 0; i < p->config_count; i++) {
        if (!p->config[i].keyword || !cf_value_copy(&ad->config[i], &p->config[i])) {
            ad->config_count = i + 1;
            mk_ndis_config_free(ad);
            return 0;
        }
    }
    ad->config_count = p->config_count;
    return 1;
}

void mk_ndis_config_free(mk_ndis_adapter *ad)
{
    for (size_t i = 0; i < ad->config_count; i++)
        cf_value_free(&ad->config[i]);
    free(ad->config);
    ad->config = NULL;
    ad->config_count = 0;
}

/* Keyword (UTF-16) == ascii, ignoring case. */
static int cf_match(PNDIS_STRING k, const char *ascii)
{
    size_t n = k->Length / sizeof(WCHAR);
    if (strlen(ascii) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        WCHAR c = k->Buffer[i];
        if (c > 0x7F || tolower((unsigned char)c) != tolower((unsigned char)ascii[i]))
            return 0;
    }
    return 1;
}

static mdlkit_ndis_config_value *cf_find(mk_ndis_adapter *ad, PNDIS_STRING k)
{
    for (size_t i = 0; i < ad->config_count; i++)
        if (cf_match(k, ad->config[i].keyword))
            return &ad->config[i];
    return NULL;
}

NDIS_STATUS NdisOpenConfigurationEx(PNDIS_CONFIGURATION_OBJECT ConfigObject, PNDIS_HANDLE ConfigurationHandle)
{
    MK_ENTER("NdisOpenConfigurationEx");
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MINIPORT_DRIVER_FUNCTION, "NdisOpenConfigurationEx must be called at PASSIVE_LEVEL",
                     mk_irql(), (ULONG_PTR)ConfigObject);
    if (!ConfigObject || !ConfigurationHandle)
        return NDIS_STATUS_INVALID_PARAMETER;
    *ConfigurationHandle = NULL;
    if (ConfigObject->Header.Type != NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT ||
        ConfigObject->Header.Revision < NDIS_CONFIGURATION_OBJECT_REVISION_1 ||
        ConfigObject->Header.Size < NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1)
        return NDIS_STATUS_INVALID_PARAMETER;
    int kind = mk_ndis_handle_kind(ConfigObject->NdisHandle);
    if (kind != MK_NDIS_ADAPTER && kind != MK_NDIS_DRIVER)
        mk_violation(MDLKIT_RULE_NDIS_UNKNOWN_HANDLE,
                     "NdisOpenConfigurationEx: NdisHandle is not a miniport adapter or driver handle",
                     (ULONG_PTR)ConfigObject->NdisHandle, (ULONG_PTR)kind);
    if (kind == MK_NDIS_DRIVER)
        return NDIS_STATUS_FAILURE; /* the driver's own key holds no values in mdlkit */
    cf_handle *h = calloc(1, sizeof *h);
    if (!h)
        return NDIS_STATUS_RESOURCES;
    h->ad = mk_ndis_adapter_from(ConfigObject->NdisHandle);
    if (!mk_ndis_register_handle(h, MK_NDIS_CONFIG, h)) {
        free(h);
        return NDIS_STATUS_RESOURCES;
    }
    *ConfigurationHandle = h;
    return NDIS_STATUS_SUCCESS;
}

void mk_ndis_config_handle_free(void *p)
{
    cf_handle *h = p;
    for (cf_out *o = h->outs, *n; o; o = n) {
        n = o->next;
        free(o);
    }
    free(h);
}

void NdisCloseConfiguration(NDIS_HANDLE ConfigurationHandle)
{
    MK_ENTER("NdisCloseConfiguration");
    cf_handle *h = mk_ndis_lookup_or_report(ConfigurationHandle, MK_NDIS_CONFIG,
                                            "NdisCloseConfiguration: not a handle from NdisOpenConfigurationEx (or "
                                            "closed twice)");
    mk_ndis_unregister_handle(h);
    for (cf_out *o = h->outs, *n; o; o = n) {
        n = o->next;
        free(o);
    }
    free(h);
}

static cf_out *cf_new_out(cf_handle *h, size_t extra)
{
    cf_out *o = calloc(1, sizeof *o + extra + sizeof(WCHAR));
    if (!o)
        return NULL;
    o->next = h->outs;
    h->outs = o;
    return o;
}

static int cf_parse(const char *s, int base, ULONG *out)
{
    if (!s || !*s)
        return 0;
    char *end;
    unsigned long v = strtoul(s, &end, base);
    while (*end == ' ')
        end++;
    if (*end)
        return 0;
    *out = (ULONG)v;
    return 1;
}

void NdisReadConfiguration(PNDIS_STATUS Status, PNDIS_CONFIGURATION_PARAMETER *ParameterValue,
                           NDIS_HANDLE ConfigurationHandle, PNDIS_STRING Keyword, NDIS_PARAMETER_TYPE ParameterType)
{
    MK_ENTER("NdisReadConfiguration");
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MINIPORT_DRIVER_FUNCTION, "NdisReadConfiguration must be called at PASSIVE_LEVEL",
                     mk_irql(), (ULONG_PTR)ConfigurationHandle);
    cf_handle *h = mk_ndis_lookup_or_report(ConfigurationHandle, MK_NDIS_CONFIG,
                                            "NdisReadConfiguration: not a handle from NdisOpenConfigurationEx");
    *Status = NDIS_STATUS_FAILURE;
    *ParameterValue = NULL;
    if (!Keyword || !Keyword->Buffer)
        return;
    mdlkit_ndis_config_value *v = cf_find(h->ad, Keyword);
    if (!v)
        return;
    cf_out *o = NULL;
    switch (ParameterType) {
    case NdisParameterInteger:
    case NdisParameterHexInteger: {
        ULONG x;
        if (v->type == NdisParameterInteger || v->type == NdisParameterHexInteger)
            x = v->integer;
        else if (v->type == NdisParameterString &&
                 cf_parse(v->string, ParameterType == NdisParameterHexInteger ? 16 : 10, &x))
            ;
        else
            return;
        if (!(o = cf_new_out(h, 0)))
            return;
        o->p.ParameterType = ParameterType;
        o->p.ParameterData.IntegerData = x;
        break;
    }
    case NdisParameterString:
    case NdisParameterMultiString: {
        char tmp[32];
        const char *s = v->string;
        if (v->type == NdisParameterInteger || v->type == NdisParameterHexInteger) {
            snprintf(tmp, sizeof tmp, "%lu", (unsigned long)v->integer);
            s = tmp;
        } else if (v->type != NdisParameterString && v->type != NdisParameterMultiString) {
            return;
        }
        size_t n = s ? strlen(s) : 0;
        if (!(o = cf_new_out(h, (n + 2) * sizeof(WCHAR))))
            return;
        PWSTR w = (PWSTR)o->data;
        for (size_t i = 0; i < n; i++)
            w[i] = (WCHAR)(unsigned char)s[i];
        o->p.ParameterType = ParameterType;
        o->p.ParameterData.StringData.Buffer = w;
        o->p.ParameterData.StringData.Length = (USHORT)(n * sizeof(WCHAR));
        o->p.ParameterData.StringData.MaximumLength = (USHORT)((n + 1) * sizeof(WCHAR));
        break;
    }
    case NdisParameterBinary:
        if (v->type != NdisParameterBinary)
            return;
        if (!(o = cf_new_out(h, v->binary_length)))
            return;
        if (v->binary_length)
            memcpy(o->data, v->binary, v->binary_length);
        o->p.ParameterType = NdisParameterBinary;
        o->p.ParameterData.BinaryData.Length = v->binary_length;
        o->p.ParameterData.BinaryData.Buffer = o->data;
        break;
    default:
        return;
    }
    *ParameterValue = &o->p;
    *Status = NDIS_STATUS_SUCCESS;
}

void NdisWriteConfiguration(PNDIS_STATUS Status, NDIS_HANDLE ConfigurationHandle, PNDIS_STRING Keyword,
                            PNDIS_CONFIGURATION_PARAMETER ParameterValue)
{
    MK_ENTER("NdisWriteConfiguration");
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MINIPORT_DRIVER_FUNCTION, "NdisWriteConfiguration must be called at PASSIVE_LEVEL",
                     mk_irql(), (ULONG_PTR)ConfigurationHandle);
    cf_handle *h = mk_ndis_lookup_or_report(ConfigurationHandle, MK_NDIS_CONFIG,
                                            "NdisWriteConfiguration: not a handle from NdisOpenConfigurationEx");
    *Status = NDIS_STATUS_FAILURE;
    if (!Keyword || !Keyword->Buffer || !Keyword->Length || !ParameterValue)
        return;
    mk_ndis_adapter *ad = h->ad;
    mdlkit_ndis_config_value nv;
    memset(&nv, 0, sizeof nv);
    char kw[256];
    size_t kn = Keyword->Length / sizeof(WCHAR);
    if (kn >= sizeof kw)
        return;
    for (size_t i = 0; i < kn; i++)
        kw[i] = Keyword->Buffer[i] < 0x80 ? (char)Keyword->Buffer[i] : '?';
    kw[kn] = 0;
    char sbuf[512];
    nv.keyword = kw;
    nv.type = ParameterValue->ParameterType;
    switch (ParameterValue->ParameterType) {
    case NdisParameterInteger:
    case NdisParameterHexInteger:
        nv.integer = ParameterValue->ParameterData.IntegerData;
        break;
    case NdisParameterString:
    case NdisParameterMultiString: {
        size_t n = ParameterValue->ParameterData.StringData.Length / sizeof(WCHAR);
        if (n >= sizeof sbuf)
            return;
        for (size_t i = 0; i < n; i++)
            sbuf[i] = ParameterValue->ParameterData.StringData.Buffer[i] < 0x80
                          ? (char)ParameterValue->ParameterData.StringData.Buffer[i]
                          : '?';
        sbuf[n] = 0;
        nv.string = sbuf;
        break;
    }
    case NdisParameterBinary:
        nv.binary = ParameterValue->ParameterData.BinaryData.Buffer;
        nv.binary_length = ParameterValue->ParameterData.BinaryData.Length;
        break;
    default:
        return;
    }
    mdlkit_ndis_config_value copy;
    if (!cf_value_copy(&copy, &nv))
        return;
    mdlkit_ndis_config_value *old = cf_find(ad, Keyword);
    if (old) {
        cf_value_free(old);
        *old = copy;
    } else {
        mdlkit_ndis_config_value *grown = realloc(ad->config, (ad->config_count + 1) * sizeof *grown);
        if (!grown) {
            cf_value_free(&copy);
            return;
        }
        ad->config = grown;
        ad->config[ad->config_count++] = copy;
    }
    *Status = NDIS_STATUS_SUCCESS;
}

void NdisReadNetworkAddress(PNDIS_STATUS Status, PVOID *NetworkAddress, PUINT NetworkAddressLength,
                            NDIS_HANDLE ConfigurationHandle)
{
    MK_ENTER("NdisReadNetworkAddress");
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MINIPORT_DRIVER_FUNCTION, "NdisReadNetworkAddress must be called at PASSIVE_LEVEL",
                     mk_irql(), (ULONG_PTR)ConfigurationHandle);
    cf_handle *h = mk_ndis_lookup_or_report(ConfigurationHandle, MK_NDIS_CONFIG,
                                            "NdisReadNetworkAddress: not a handle from NdisOpenConfigurationEx");
    *Status = NDIS_STATUS_FAILURE;
    *NetworkAddress = NULL;
    *NetworkAddressLength = 0;
    /* The NetworkAddress keyword: a string of hexadecimal digit pairs (a
     * '-' or ':' between pairs is allowed). */
    mdlkit_ndis_config_value *v = NULL;
    for (size_t i = 0; i < h->ad->config_count; i++)
        if (!strcasecmp(h->ad->config[i].keyword, "NetworkAddress"))
            v = &h->ad->config[i];
    if (!v || v->type != NdisParameterString || !v->string)
        return;
    UCHAR addr[32];
    UINT n = 0;
    for (const char *s = v->string; *s;) {
        if (*s == '-' || *s == ':') {
            s++;
            continue;
        }
        if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]) || n == sizeof addr)
            return;
        char pair[3] = {s[0], s[1], 0};
        addr[n++] = (UCHAR)strtoul(pair, NULL, 16);
        s += 2;
    }
    if (!n)
        return;
    cf_out *o = cf_new_out(h, n);
    if (!o)
        return;
    memcpy(o->data, addr, n);
    *NetworkAddress = o->data;
    *NetworkAddressLength = n;
    *Status = NDIS_STATUS_SUCCESS;
}
