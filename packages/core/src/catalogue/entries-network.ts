/**
 * Win32-facility codes (0x8007xxxx): WinHTTP errors (12000+n → 0x80072EE0+…), the common Win32 and COM
 * failures seen around Windows Update, and component-based servicing (CBS_E_*, 0x800Fxxxx).
 * Names from winhttp.h, wininet.h, winerror.h; texts paraphrase Microsoft's "Error Messages (Winhttp.h)".
 */
import { parseTable } from './table.js';
import type { CatalogueEntry } from './types.js';

const WINHTTP_TABLE = `
0x80072EE1 | ERROR_WINHTTP_OUT_OF_HANDLES | local_agent | - | WinHTTP: no more handles could be generated.
0x80072EE2 | ERROR_WINHTTP_TIMEOUT | unreachable | - | WinHTTP: the request timed out (no answer from the update server or proxy in time).
0x80072EE4 | ERROR_WINHTTP_INTERNAL_ERROR | other | - | WinHTTP: an internal error occurred.
0x80072EE5 | ERROR_WINHTTP_INVALID_URL | client_misconfigured | - | WinHTTP: the URL is invalid (check the WUServer value).
0x80072EE6 | ERROR_WINHTTP_UNRECOGNIZED_SCHEME | client_misconfigured | - | WinHTTP: the URL scheme could not be recognized or is not supported (WUServer must start with http:// or https://).
0x80072EE7 | ERROR_WINHTTP_NAME_NOT_RESOLVED | unreachable | - | WinHTTP: the server name could not be resolved (DNS failed).
0x80072EEC | ERROR_WINHTTP_SHUTDOWN | local_agent | - | WinHTTP: the WinHTTP function support is being shut down or unloaded.
0x80072EEF | ERROR_WINHTTP_LOGIN_FAILURE | server_error | - | WinHTTP: the login attempt failed (server or proxy credentials were rejected).
0x80072EF1 | ERROR_WINHTTP_OPERATION_CANCELLED | other | - | WinHTTP: the operation was cancelled, usually because the handle was closed before it completed.
0x80072EFD | ERROR_WINHTTP_CANNOT_CONNECT | unreachable | - | WinHTTP: the connection to the server failed (refused, or nothing listening on that port).
0x80072EFE | ERROR_WINHTTP_CONNECTION_ERROR | unreachable | - | WinHTTP: the connection with the server was reset or terminated, or an incompatible TLS protocol was used.
0x80072EFF | ERROR_INTERNET_CONNECTION_RESET | unreachable | - | The connection with the server was reset.
0x80072F00 | ERROR_WINHTTP_RESEND_REQUEST | other | - | WinHTTP: the request must be sent again (redirect or authentication challenge).
0x80072F05 | ERROR_WINHTTP_SECURE_CERT_DATE_INVALID | unreachable | - | TLS: the server's certificate has expired or is not yet valid (or this machine's clock is wrong).
0x80072F06 | ERROR_WINHTTP_SECURE_CERT_CN_INVALID | unreachable | - | TLS: the server's certificate does not match the host name in the URL.
0x80072F0C | ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED | unreachable | - | TLS: the server requires a client certificate.
0x80072F0D | ERROR_WINHTTP_SECURE_INVALID_CA | unreachable | - | TLS: the server's certificate chains to a root this machine does not trust.
0x80072F17 | ERROR_INTERNET_SEC_CERT_ERRORS | unreachable | - | TLS: the server's certificate contains errors.
0x80072F19 | ERROR_WINHTTP_SECURE_CERT_REV_FAILED | unreachable | - | TLS: revocation of the server's certificate could not be checked (CRL or OCSP server unreachable).
0x80072F76 | ERROR_WINHTTP_HEADER_NOT_FOUND | server_error | - | WinHTTP: the requested header could not be found in the server's response.
0x80072F78 | ERROR_WINHTTP_INVALID_SERVER_RESPONSE | unreachable | - | WinHTTP: the server response could not be parsed.
0x80072F7C | ERROR_WINHTTP_REDIRECT_FAILED | server_error | - | WinHTTP: the redirection failed (scheme change, or too many redirects).
0x80072F7D | ERROR_WINHTTP_SECURE_CHANNEL_ERROR | unreachable | - | TLS: an error occurred in the secure channel (for example no common protocol such as TLS 1.2, or no common cipher suite).
0x80072F86 | ERROR_WINHTTP_BAD_AUTO_PROXY_SCRIPT | client_misconfigured | - | WinHTTP: the proxy auto-configuration script has an error.
0x80072F87 | ERROR_WINHTTP_UNABLE_TO_DOWNLOAD_SCRIPT | client_misconfigured | - | WinHTTP: the proxy auto-configuration script could not be downloaded.
0x80072F89 | ERROR_WINHTTP_SECURE_INVALID_CERT | unreachable | - | TLS: the server's certificate is invalid.
0x80072F8A | ERROR_WINHTTP_SECURE_CERT_REVOKED | unreachable | - | TLS: the server's certificate has been revoked.
0x80072F8F | ERROR_WINHTTP_SECURE_FAILURE | unreachable | - | TLS: one or more errors were found in the server's certificate or the handshake failed (often TLS 1.2 disabled, wrong clock, or an untrusted certificate).
0x80072F92 | ERROR_WINHTTP_AUTO_PROXY_SERVICE_ERROR | client_misconfigured | - | WinHTTP: a proxy for the URL could not be located.
0x80072F93 | ERROR_WINHTTP_SECURE_CERT_WRONG_USAGE | unreachable | - | TLS: the server's certificate is not valid for server authentication.
0x80072F94 | ERROR_WINHTTP_AUTODETECTION_FAILED | client_misconfigured | - | WinHTTP: the proxy auto-configuration URL could not be found (WPAD detection failed).
`;

const WIN32_TABLE = `
0x80004004 | E_ABORT | other | - | The operation was aborted.
0x80004005 | E_FAIL | other | - | Unspecified failure.
0x8000FFFF | E_UNEXPECTED | other | - | Catastrophic failure (unexpected condition).
0x80070002 | ERROR_FILE_NOT_FOUND | local_agent | - | The system cannot find the file specified.
0x80070003 | ERROR_PATH_NOT_FOUND | local_agent | - | The system cannot find the path specified.
0x80070005 | E_ACCESSDENIED | local_agent | - | Access is denied.
0x8007000D | ERROR_INVALID_DATA | local_agent | - | The data is invalid.
0x8007000E | E_OUTOFMEMORY | local_agent | - | Not enough memory resources are available to complete this operation.
0x80070020 | ERROR_SHARING_VIOLATION | local_agent | - | The process cannot access the file because it is being used by another process.
0x80070057 | E_INVALIDARG | other | - | One or more arguments are invalid.
0x80070070 | ERROR_DISK_FULL | local_agent | - | There is not enough space on the disk.
0x80070422 | ERROR_SERVICE_DISABLED | local_agent | - | The service cannot be started because it is disabled (here: the Windows Update service, wuauserv, or a service it needs such as BITS).
0x8007045B | ERROR_SHUTDOWN_IN_PROGRESS | local_agent | - | A system shutdown is in progress.
0x80070490 | ERROR_NOT_FOUND | local_agent | - | Element not found.
0x80070570 | ERROR_FILE_CORRUPT | local_agent | - | The file or directory is corrupted and unreadable.
0x800705B4 | ERROR_TIMEOUT | other | - | This operation returned because the timeout period expired.
0x80070643 | ERROR_INSTALL_FAILURE | local_agent | - | Fatal error during installation.
0x80070652 | ERROR_INSTALL_ALREADY_RUNNING | local_agent | - | Another installation is already in progress.
0x800704C7 | ERROR_CANCELLED | local_agent | - | The operation was canceled by the user (a cancellation, not a failure of the update).
0x80073701 | ERROR_SXS_ASSEMBLY_MISSING | local_agent | - | The referenced assembly could not be found (a component the update needs is missing from the component store).
0x80073712 | ERROR_SXS_COMPONENT_STORE_CORRUPT | local_agent | - | The component store has been corrupted.
0x800706BA | RPC_S_SERVER_UNAVAILABLE | local_agent | - | The RPC server is unavailable.
0x80070BC9 | ERROR_FAIL_REBOOT_REQUIRED | local_agent | - | The requested operation failed; a system reboot is required to roll back changes made.
0x800F081F | CBS_E_SOURCE_MISSING | local_agent | - | Servicing: the source files for a package or file could not be found.
0x800F0831 | CBS_E_STORE_CORRUPTION | local_agent | - | Servicing: the component store is corrupted.
0x800F0906 | CBS_E_DOWNLOAD_FAILURE | local_agent | - | Servicing: the source files could not be downloaded.
0x800F0920 | CBS_E_HANG_DETECTED | local_agent | - | Servicing: a hang was detected while processing the package.
0x800F0922 | CBS_E_INSTALLERS_FAILED | local_agent | - | Servicing: processing advanced installers and generic commands failed.
`;

/** WinHTTP entries, 0x80072EE1–0x80072F94. */
export const WINHTTP_ENTRIES: readonly CatalogueEntry[] = parseTable(WINHTTP_TABLE);

/** Common Win32, COM and CBS entries. */
export const WIN32_ENTRIES: readonly CatalogueEntry[] = parseTable(WIN32_TABLE);
