/**
 * Protocol talker codes (WU_E_PT_*): how the agent's SOAP/HTTP conversation with the update server failed.
 * Names and texts from wuerror.h and Microsoft's "Windows Update error codes by component".
 * WU_E_PT_HTTP_STATUS_* is a lookup (not arithmetic): each name is WinHTTP's HTTP_STATUS_* constant,
 * which is where httpStatus comes from when Microsoft's message text disagrees with the name.
 */
import { parseTable } from './table.js';
import type { CatalogueEntry } from './types.js';

const TABLE = `
0x80244000 | WU_E_PT_SOAPCLIENT_BASE | other | - | Base of the WU_E_PT_SOAPCLIENT_* codes, which map to the SOAPCLIENT_ERROR enum of the ATL Server Library.
0x80244001 | WU_E_PT_SOAPCLIENT_INITIALIZE | local_agent | - | Same as SOAPCLIENT_INITIALIZE_ERROR: initialization of the SOAP client failed, possibly because of an MSXML installation failure.
0x80244002 | WU_E_PT_SOAPCLIENT_OUTOFMEMORY | local_agent | - | Same as SOAPCLIENT_OUTOFMEMORY: the SOAP client ran out of memory.
0x80244003 | WU_E_PT_SOAPCLIENT_GENERATE | local_agent | - | Same as SOAPCLIENT_GENERATE_ERROR: the SOAP client failed to generate the request.
0x80244004 | WU_E_PT_SOAPCLIENT_CONNECT | unreachable | - | Same as SOAPCLIENT_CONNECT_ERROR: the SOAP client failed to connect to the update server.
0x80244005 | WU_E_PT_SOAPCLIENT_SEND | unreachable | - | Same as SOAPCLIENT_SEND_ERROR: the SOAP client failed to send a message to the update server (the underlying cause is a WinHTTP error).
0x80244006 | WU_E_PT_SOAPCLIENT_SERVER | server_error | - | Same as SOAPCLIENT_SERVER_ERROR: the SOAP call failed because of a server error.
0x80244007 | WU_E_PT_SOAPCLIENT_SOAPFAULT | server_error | - | Same as SOAPCLIENT_SOAPFAULT: the server answered with a SOAP fault (the detail is one of the WU_E_PT_SOAP_* codes).
0x80244008 | WU_E_PT_SOAPCLIENT_PARSEFAULT | server_error | - | Same as SOAPCLIENT_PARSEFAULT_ERROR: the SOAP client could not parse a SOAP fault from the server.
0x80244009 | WU_E_PT_SOAPCLIENT_READ | unreachable | - | Same as SOAPCLIENT_READ_ERROR: the SOAP client failed while reading the response from the server.
0x8024400A | WU_E_PT_SOAPCLIENT_PARSE | server_error | - | Same as SOAPCLIENT_PARSE_ERROR: the SOAP client could not parse the server's response (often an HTML page from a proxy or web filter instead of SOAP).
0x8024400B | WU_E_PT_SOAP_VERSION | server_error | - | Same as SOAP_E_VERSION_MISMATCH: the SOAP client found an unrecognizable namespace for the SOAP envelope.
0x8024400C | WU_E_PT_SOAP_MUST_UNDERSTAND | server_error | - | Same as SOAP_E_MUST_UNDERSTAND: the SOAP client was unable to understand a header.
0x8024400D | WU_E_PT_SOAP_CLIENT | server_error | - | Same as SOAP_E_CLIENT: the server found the SOAP message malformed.
0x8024400E | WU_E_PT_SOAP_SERVER | server_error | - | Same as SOAP_E_SERVER: the SOAP message could not be processed because of a server error; resend later.
0x8024400F | WU_E_PT_WMI_ERROR | local_agent | - | There was an unspecified Windows Management Instrumentation (WMI) error.
0x80244010 | WU_E_PT_EXCEEDED_MAX_SERVER_TRIPS | server_error | - | The number of round trips to the server exceeded the maximum limit.
0x80244011 | WU_E_PT_SUS_SERVER_NOT_SET | client_misconfigured | - | The WUServer policy value is missing in the registry.
0x80244012 | WU_E_PT_DOUBLE_INITIALIZATION | local_agent | - | Initialization failed because the object was already initialized.
0x80244013 | WU_E_PT_INVALID_COMPUTER_NAME | local_agent | - | The computer name could not be determined.
0x80244015 | WU_E_PT_REFRESH_CACHE_REQUIRED | server_error | - | The server's reply says the server changed or the cookie is invalid; the agent must refresh its internal cache and retry.
0x80244016 | WU_E_PT_HTTP_STATUS_BAD_REQUEST | server_error | 400 | Same as HTTP status 400: the server could not process the request because of invalid syntax.
0x80244017 | WU_E_PT_HTTP_STATUS_DENIED | server_error | 401 | Same as HTTP status 401: the requested resource requires user authentication.
0x80244018 | WU_E_PT_HTTP_STATUS_FORBIDDEN | server_error | 403 | Same as HTTP status 403: the server understood the request but declined to fulfil it.
0x80244019 | WU_E_PT_HTTP_STATUS_NOT_FOUND | server_error | 404 | Same as HTTP status 404: the server cannot find the requested URI (often a wrong port or a missing WSUS virtual directory).
0x8024401A | WU_E_PT_HTTP_STATUS_BAD_METHOD | server_error | 405 | Same as HTTP status 405: the HTTP method is not allowed.
0x8024401B | WU_E_PT_HTTP_STATUS_PROXY_AUTH_REQ | unreachable | 407 | Same as HTTP status 407: proxy authentication is required.
0x8024401C | WU_E_PT_HTTP_STATUS_REQUEST_TIMEOUT | unreachable | 408 | Same as HTTP status 408: the server timed out waiting for the request.
0x8024401D | WU_E_PT_HTTP_STATUS_CONFLICT | server_error | 409 | Same as HTTP status 409: the request conflicts with the current state of the resource.
0x8024401E | WU_E_PT_HTTP_STATUS_GONE | server_error | 410 | Same as HTTP status 410: the requested resource is no longer available at the server.
0x8024401F | WU_E_PT_HTTP_STATUS_SERVER_ERROR | server_error | 500 | Same as HTTP status 500: an error internal to the server prevented it from fulfilling the request.
0x80244020 | WU_E_PT_HTTP_STATUS_NOT_SUPPORTED | server_error | 501 | The server does not support the functionality required to fulfil the request. Quirk: the name is WinHTTP's HTTP_STATUS_NOT_SUPPORTED (501) while Microsoft's message text says "Same as HTTP status 500"; wuwatch reports 501.
0x80244021 | WU_E_PT_HTTP_STATUS_BAD_GATEWAY | unreachable | 502 | Same as HTTP status 502: a gateway or proxy got an invalid response from the upstream server.
0x80244022 | WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL | unreachable | 503 | Same as HTTP status 503: the service is temporarily overloaded or unavailable (on WSUS, often a stopped WsusPool application pool, or a server that no longer exists behind the address).
0x80244023 | WU_E_PT_HTTP_STATUS_GATEWAY_TIMEOUT | unreachable | 504 | The request timed out waiting for a gateway. Quirk: the name is WinHTTP's HTTP_STATUS_GATEWAY_TIMEOUT (504) and older wuerror.h said "Http status 504", but Microsoft's current message text says "Same as HTTP status 503"; wuwatch reports 504.
0x80244024 | WU_E_PT_HTTP_STATUS_VERSION_NOT_SUP | server_error | 505 | Same as HTTP status 505: the server does not support the HTTP protocol version used for the request.
0x80244025 | WU_E_PT_FILE_LOCATIONS_CHANGED | server_error | - | The operation failed because a file location changed on the server; the agent refreshes its state and resends.
0x80244026 | WU_E_PT_REGISTRATION_NOT_SUPPORTED | client_misconfigured | - | Windows Update Agent does not support registration with a non-WSUS server.
0x80244027 | WU_E_PT_NO_AUTH_PLUGINS_REQUESTED | server_error | - | The server returned an empty authentication information list.
0x80244028 | WU_E_PT_NO_AUTH_COOKIES_CREATED | server_error | - | Windows Update Agent was unable to create any valid authentication cookies.
0x80244029 | WU_E_PT_INVALID_CONFIG_PROP | server_error | - | A configuration property value from the server was wrong.
0x8024402A | WU_E_PT_CONFIG_PROP_MISSING | server_error | - | A configuration property value from the server was missing.
0x8024402B | WU_E_PT_HTTP_STATUS_NOT_MAPPED | server_error | - | The HTTP request could not be completed and the status did not correspond to any of the WU_E_PT_HTTP_* codes.
0x8024402C | WU_E_PT_WINHTTP_NAME_NOT_RESOLVED | unreachable | - | Same as ERROR_WINHTTP_NAME_NOT_RESOLVED: the proxy server or update server name cannot be resolved.
0x8024402D | WU_E_PT_LOAD_SHEDDING | unreachable | - | The server is shedding load.
0x8024402E | WU_E_PT_CLIENT_ENFORCED_LOAD_SHEDDING | unreachable | - | Windows Update Agent is honouring the service's load shedding interval and did not contact it.
0x8024402F | WU_E_PT_ECP_SUCCEEDED_WITH_ERRORS | server_error | - | External cab file processing completed with some errors (often a web filter or proxy altering the downloaded cab files).
0x80244030 | WU_E_PT_ECP_INIT_FAILED | local_agent | - | The external cab processor initialization did not complete.
0x80244031 | WU_E_PT_ECP_INVALID_FILE_FORMAT | server_error | - | The format of a metadata file was invalid.
0x80244032 | WU_E_PT_ECP_INVALID_METADATA | server_error | - | The external cab processor found invalid metadata.
0x80244033 | WU_E_PT_ECP_FAILURE_TO_EXTRACT_DIGEST | server_error | - | The file digest could not be extracted from an external cab file.
0x80244034 | WU_E_PT_ECP_FAILURE_TO_DECOMPRESS_CAB_FILE | server_error | - | An external cab file could not be decompressed.
0x80244035 | WU_E_PT_ECP_FILE_LOCATION_ERROR | server_error | - | The external cab processor was unable to get file locations.
0x80244FFF | WU_E_PT_UNEXPECTED | server_error | - | A communication error not covered by another WU_E_PT_* code.
0x80240436 | WU_E_PT_CATALOG_SYNC_REQUIRED | server_error | - | The server does not support category-specific search; a full catalog search has to be issued instead.
0x80240437 | WU_E_PT_SECURITY_VERIFICATION_FAILURE | server_error | - | There was a problem authorizing with the service.
0x80240438 | WU_E_PT_ENDPOINT_UNREACHABLE | unreachable | - | There is no route or network connectivity to the endpoint.
0x80240439 | WU_E_PT_INVALID_FORMAT | server_error | - | The data received does not meet the data contract expectations.
0x8024043A | WU_E_PT_INVALID_URL | client_misconfigured | - | The URL is invalid.
0x8024043B | WU_E_PT_NWS_NOT_LOADED | local_agent | - | Unable to load the Windows Web Services (NWS) runtime.
0x8024043C | WU_E_PT_PROXY_AUTH_SCHEME_NOT_SUPPORTED | client_misconfigured | - | The proxy authentication scheme is not supported.
0x8024043D | WU_E_SERVICEPROP_NOTAVAIL | other | - | The requested service property is not available.
0x8024043E | WU_E_PT_ENDPOINT_REFRESH_REQUIRED | other | - | The endpoint provider plugin requires an online refresh.
0x8024043F | WU_E_PT_ENDPOINTURL_NOTAVAIL | other | - | A URL for the requested service endpoint is not available.
0x80240440 | WU_E_PT_ENDPOINT_DISCONNECTED | unreachable | - | The connection to the service endpoint died.
0x80240441 | WU_E_PT_INVALID_OPERATION | local_agent | - | The operation is invalid because the protocol talker is in an inappropriate state.
0x80240442 | WU_E_PT_OBJECT_FAULTED | other | - | Same as WS_E_OBJECT_FAULTED: the object is in a faulted state due to a previous error.
0x80240444 | WU_E_PT_OPERATION_ABORTED | other | - | Same as WS_E_OPERATION_ABORTED: the operation was aborted.
0x80240445 | WU_E_PT_OPERATION_ABANDONED | other | - | Same as WS_E_OPERATION_ABANDONED: the operation was abandoned.
0x80240446 | WU_E_PT_QUOTA_EXCEEDED | other | - | Same as WS_E_QUOTA_EXCEEDED: a quota was exceeded.
0x8024044A | WU_E_PT_OTHER | other | - | Same as WS_E_OTHER: an unrecognized error occurred in the Windows Web Services framework.
0x8024044B | WU_E_PT_SECURITY_SYSTEM_FAILURE | other | - | Same as WS_E_SECURITY_SYSTEM_FAILURE: a security operation failed in the Windows Web Services framework.
0x8024502D | WU_E_PT_SAME_REDIR_ID | other | - | Windows Update Agent failed to download a redirector cabinet file with a new redirectorId value from the server during recovery.
0x8024502E | WU_E_PT_NO_MANAGED_RECOVER | other | - | A redirector recovery action did not complete because the server is managed.
0x80245001 | WU_E_REDIRECTOR_LOAD_XML | other | - | The redirector XML document could not be loaded into the DOM class.
0x80245002 | WU_E_REDIRECTOR_S_FALSE | other | - | The redirector XML document is missing some required information.
0x80245003 | WU_E_REDIRECTOR_ID_SMALLER | other | - | The redirectorId in the downloaded redirector cab is less than in the cached cab.
0x80245006 | WU_E_REDIRECTOR_INVALID_RESPONSE | server_error | - | The response from the redirector server had an error status or was invalid.
0x8024500B | WU_E_REDIRECTOR_SLS_GENERIC_ERROR | other | - | There was an error connecting to or parsing the response from the Service Locator Service redirector server.
0x8024500C | WU_E_REDIRECTOR_CONNECT_POLICY | client_misconfigured | - | Connections to the redirector server are disallowed by managed policy (for example DoNotConnectToWindowsUpdateInternetLocations).
0x802450FF | WU_E_REDIRECTOR_UNEXPECTED | other | - | The redirector failed for reasons not covered by another WU_E_REDIRECTOR_* code.
`;

/** Protocol talker (0x80244xxx, 0x802404xx) and redirector (0x80245xxx) entries. */
export const PROTOCOL_ENTRIES: readonly CatalogueEntry[] = parseTable(TABLE);
