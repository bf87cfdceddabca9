/* json.h -- a small JSON reader for `mdlkit report` (the mdlkit report
 * format, docs/report-format.md). Parses a whole document into a tree. */
#ifndef MDLKIT_CLI_JSON_H
#define MDLKIT_CLI_JSON_H

#include <stddef.h>

typedef enum { CLI_JSON_NULL, CLI_JSON_BOOL, CLI_JSON_NUMBER, CLI_JSON_STRING, CLI_JSON_ARRAY, CLI_JSON_OBJECT } cli_json_type;

typedef struct cli_json {
    cli_json_type type;
    double number;           /* NUMBER, BOOL (0/1) */
    char *string;            /* STRING */
    char *key;               /* member name inside an OBJECT */
    struct cli_json *child;  /* first element / member */
    struct cli_json *next;   /* next sibling */
} cli_json;

/* Parses text; NULL with a message in err (line:column) on a syntax error. */
cli_json *cli_json_parse(const char *text, char *err, size_t errlen);
void cli_json_free(cli_json *j);
/* Member `key` of an object, or NULL. */
const cli_json *cli_json_get(const cli_json *obj, const char *key);
/* Conveniences: the value if present and of the right type, else dflt. */
double cli_json_num(const cli_json *obj, const char *key, double dflt);
const char *cli_json_str(const cli_json *obj, const char *key, const char *dflt);
/* Reads a whole file into a NUL-terminated buffer (free it), or NULL. */
char *cli_read_file(const char *path);

#endif
