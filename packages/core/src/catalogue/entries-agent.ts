/**
 * Windows Update Agent codes (WU_E_*, 0x80240001–0x80240FFF) and the success codes (S_OK, WU_S_*).
 * Names and texts from wuerror.h and Microsoft's "Windows Update error codes by component".
 */
import { parseTable } from './table.js';
import type { CatalogueEntry } from './types.js';

const AGENT_TABLE = `
0x80240001 | WU_E_NO_SERVICE | local_agent | - | Windows Update Agent was unable to provide the service.
0x80240002 | WU_E_MAX_CAPACITY_REACHED | local_agent | - | The maximum capacity of the service was exceeded.
0x80240003 | WU_E_UNKNOWN_ID | local_agent | - | An ID cannot be found.
0x80240004 | WU_E_NOT_INITIALIZED | local_agent | - | The object could not be initialized.
0x80240005 | WU_E_RANGEOVERLAP | local_agent | - | The update handler requested a byte range overlapping a previously requested range.
0x80240006 | WU_E_TOOMANYRANGES | local_agent | - | The requested number of byte ranges exceeds the maximum number (2^31 - 1).
0x80240007 | WU_E_INVALIDINDEX | local_agent | - | The index to a collection was invalid.
0x80240008 | WU_E_ITEMNOTFOUND | local_agent | - | The key for the item queried could not be found.
0x80240009 | WU_E_OPERATIONINPROGRESS | local_agent | - | Another conflicting operation was in progress. Some operations such as installation cannot be performed twice simultaneously.
0x8024000A | WU_E_COULDNOTCANCEL | local_agent | - | Cancellation of the operation was not allowed.
0x8024000B | WU_E_CALL_CANCELLED | local_agent | - | The operation was cancelled.
0x8024000C | WU_E_NOOP | other | - | No operation was required.
0x8024000D | WU_E_XML_MISSINGDATA | local_agent | - | Windows Update Agent could not find required information in the update's XML data.
0x8024000E | WU_E_XML_INVALID | local_agent | - | Windows Update Agent found invalid information in the update's XML data.
0x8024000F | WU_E_CYCLE_DETECTED | local_agent | - | Circular update relationships were detected in the metadata.
0x80240010 | WU_E_TOO_DEEP_RELATION | local_agent | - | Update relationships too deep to evaluate were evaluated.
0x80240011 | WU_E_INVALID_RELATIONSHIP | local_agent | - | An invalid update relationship was detected.
0x80240012 | WU_E_REG_VALUE_INVALID | client_misconfigured | - | An invalid registry value was read.
0x80240013 | WU_E_DUPLICATE_ITEM | local_agent | - | The operation tried to add a duplicate item to a list.
0x80240014 | WU_E_INVALID_INSTALL_REQUESTED | other | - | The updates requested for install are not installable by the caller.
0x80240016 | WU_E_INSTALL_NOT_ALLOWED | local_agent | - | The operation tried to install while another installation was in progress or the system was pending a mandatory restart.
0x80240017 | WU_E_NOT_APPLICABLE | other | - | The operation was not performed because there are no applicable updates.
0x80240018 | WU_E_NO_USERTOKEN | other | - | The operation failed because a required user token is missing.
0x80240019 | WU_E_EXCLUSIVE_INSTALL_CONFLICT | other | - | An exclusive update cannot be installed with other updates at the same time.
0x8024001A | WU_E_POLICY_NOT_SET | client_misconfigured | - | A policy value was not set.
0x8024001B | WU_E_SELFUPDATE_IN_PROGRESS | local_agent | - | The operation could not be performed because the Windows Update Agent is updating itself.
0x8024001D | WU_E_INVALID_UPDATE | local_agent | - | An update contains invalid metadata.
0x8024001E | WU_E_SERVICE_STOP | local_agent | - | The operation did not complete because the service or the system was being shut down.
0x8024001F | WU_E_NO_CONNECTION | unreachable | - | The operation did not complete because the network connection was unavailable.
0x80240020 | WU_E_NO_INTERACTIVE_USER | local_agent | - | The operation did not complete because there is no logged-on interactive user.
0x80240021 | WU_E_TIME_OUT | other | - | The operation did not complete because it timed out.
0x80240022 | WU_E_ALL_UPDATES_FAILED | local_agent | - | The operation failed for all the updates (often antivirus or another product blocking the installers).
0x80240023 | WU_E_EULAS_DECLINED | other | - | The license terms for all updates were declined.
0x80240024 | WU_E_NO_UPDATE | other | - | There are no updates.
0x80240025 | WU_E_USER_ACCESS_DISABLED | client_misconfigured | - | Group Policy settings prevented access to Windows Update.
0x80240026 | WU_E_INVALID_UPDATE_TYPE | other | - | The type of update is invalid.
0x80240027 | WU_E_URL_TOO_LONG | client_misconfigured | - | The URL exceeded the maximum length.
0x80240028 | WU_E_UNINSTALL_NOT_ALLOWED | other | - | The update could not be uninstalled because the request did not originate from a WSUS server.
0x80240029 | WU_E_INVALID_PRODUCT_LICENSE | other | - | Search may have missed some updates because there is an unlicensed application on the system.
0x8024002A | WU_E_MISSING_HANDLER | local_agent | - | A component required to detect applicable updates was missing.
0x8024002B | WU_E_LEGACYSERVER | server_error | - | The operation did not complete because it requires a newer version of the server.
0x8024002C | WU_E_BIN_SOURCE_ABSENT | local_agent | - | A delta-compressed update could not be installed because it required the source.
0x8024002D | WU_E_SOURCE_ABSENT | local_agent | - | A full-file update could not be installed because it required the source.
0x8024002E | WU_E_WU_DISABLED | client_misconfigured | - | Access to an unmanaged server is not allowed.
0x8024002F | WU_E_CALL_CANCELLED_BY_POLICY | client_misconfigured | - | The operation did not complete because the DisableWindowsUpdateAccess policy was set.
0x80240030 | WU_E_INVALID_PROXY_SERVER | client_misconfigured | - | The format of the proxy list was invalid.
0x80240031 | WU_E_INVALID_FILE | local_agent | - | The file is in the wrong format.
0x80240032 | WU_E_INVALID_CRITERIA | other | - | The search criteria string was invalid.
0x80240033 | WU_E_EULA_UNAVAILABLE | server_error | - | License terms could not be downloaded.
0x80240034 | WU_E_DOWNLOAD_FAILED | other | - | The update failed to download.
0x80240035 | WU_E_UPDATE_NOT_PROCESSED | other | - | The update was not processed.
0x80240036 | WU_E_INVALID_OPERATION | other | - | The object's current state did not allow the operation.
0x80240037 | WU_E_NOT_SUPPORTED | other | - | The functionality for the operation is not supported.
0x80240038 | WU_E_WINHTTP_INVALID_FILE | server_error | - | The downloaded file has an unexpected content type (often a proxy or web filter page instead of the file).
0x80240039 | WU_E_TOO_MANY_RESYNC | server_error | - | The server asked the agent to resynchronize too many times.
0x80240040 | WU_E_NO_SERVER_CORE_SUPPORT | other | - | The WUA API method does not run on a Server Core installation.
0x80240041 | WU_E_SYSPREP_IN_PROGRESS | local_agent | - | The service is not available while sysprep is running.
0x80240042 | WU_E_UNKNOWN_SERVICE | local_agent | - | The update service is no longer registered with Automatic Updates.
0x80240043 | WU_E_NO_UI_SUPPORT | other | - | There is no support for the WUA user interface.
0x80240044 | WU_E_PER_MACHINE_UPDATE_ACCESS_DENIED | other | - | Only administrators can perform this operation on per-machine updates.
0x80240045 | WU_E_UNSUPPORTED_SEARCHSCOPE | other | - | A search was attempted with a scope that is not currently supported for this type of search.
0x80240046 | WU_E_BAD_FILE_URL | server_error | - | The URL does not point to a file.
0x80240047 | WU_E_NOTSUPPORTED | other | - | The operation requested is not supported. Newer wuerror.h drops this name (too close to WU_E_NOT_SUPPORTED) and uses the code for WU_E_REVERT_NOT_ALLOWED, "The update could not be reverted".
0x80240048 | WU_E_INVALID_NOTIFICATION_INFO | server_error | - | The featured update notification info returned by the server is invalid.
0x80240049 | WU_E_OUTOFRANGE | local_agent | - | The data is out of range.
0x8024004A | WU_E_SETUP_IN_PROGRESS | local_agent | - | Windows Update Agent operations are not available while OS setup is running.
0x8024004C | WU_E_LOW_BATTERY | other | - | An update could not be installed because the system battery power level is too low.
0x80240059 | WU_E_NETWORK_COST_EXCEEDS_POLICY | client_misconfigured | - | The current network cost does not meet the conditions set by the network cost policy.
0x80240069 | WU_E_SERVICE_UNEXPECTED_EXIT | local_agent | - | The operation did not complete because the service process exited unexpectedly with a non-successful exit code.
0x8024006B | WU_E_SERVICE_REENABLE_ACCESS_DENIED | local_agent | - | The operation did not complete because the service is disabled and re-enabling it failed with access denied.
0x80240FFF | WU_E_UNEXPECTED | local_agent | - | An operation failed for reasons not covered by another error code.
`;

// Success codes have the severity bit clear: they are never failures, whatever their wording.
const SUCCESS_TABLE = `
0x00000000 | S_OK | other | - | Success (S_OK). Not a failure.
0x00000001 | S_FALSE | other | - | Success with a "false" result (S_FALSE). Not a failure.
0x00240001 | WU_S_SERVICE_STOP | other | - | Windows Update Agent was stopped successfully: the normal exit code of the service. Not a failure.
0x00240002 | WU_S_SELFUPDATE | other | - | Windows Update Agent updated itself. Not a failure.
0x00240003 | WU_S_UPDATE_ERROR | other | - | The operation completed successfully but there were errors applying some updates; the per-update results carry the failure codes. Not a failure in itself.
0x00240004 | WU_S_MARKED_FOR_DISCONNECT | other | - | A callback was marked to be disconnected later because the disconnect request came while it was executing. Not a failure.
0x00240005 | WU_S_REBOOT_REQUIRED | other | - | The system must be restarted to complete installation of the update. Not a failure.
0x00240006 | WU_S_ALREADY_INSTALLED | other | - | The update to be installed is already installed on the system. Not a failure.
0x00240007 | WU_S_ALREADY_UNINSTALLED | other | - | The update to be removed is not installed on the system. Not a failure.
0x00240008 | WU_S_ALREADY_DOWNLOADED | other | - | The update to be downloaded has already been downloaded. Not a failure.
`;

/** WU_E_* agent entries, 0x80240001–0x80240FFF. */
export const AGENT_ENTRIES: readonly CatalogueEntry[] = parseTable(AGENT_TABLE);

/** S_OK, S_FALSE and the WU_S_* success codes. */
export const SUCCESS_ENTRIES: readonly CatalogueEntry[] = parseTable(SUCCESS_TABLE);
