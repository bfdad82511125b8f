/**
 * Codes of the agent's components: download manager (WU_E_DM_*), self-update/setup (WU_E_SETUP_*),
 * update handlers (WU_E_UH_*), data store (WU_E_DS_*), Automatic Updates (WU_E_AU_*, USO_E_*),
 * reporter, and the BITS job errors (BG_E_*) that are not HTTP statuses.
 * Names and texts from wuerror.h, bitsmsg.h and Microsoft's "Windows Update error codes by component".
 */
import { parseTable } from './table.js';
import type { CatalogueEntry } from './types.js';

const TABLE = `
0x80246001 | WU_E_DM_URLNOTAVAILABLE | server_error | - | A download manager operation could not be completed because the requested file does not have a URL.
0x80246002 | WU_E_DM_INCORRECTFILEHASH | server_error | - | A download manager operation could not be completed because the file digest was not recognized (the downloaded content is not what the metadata promised).
0x80246003 | WU_E_DM_UNKNOWNALGORITHM | local_agent | - | The file metadata requested an unrecognized hash algorithm.
0x80246004 | WU_E_DM_NEEDDOWNLOADREQUEST | local_agent | - | An operation could not be completed because a download request is required from the download handler.
0x80246005 | WU_E_DM_NONETWORK | unreachable | - | A download manager operation could not be completed because the network connection was unavailable.
0x80246006 | WU_E_DM_WRONGBITSVERSION | local_agent | - | The version of the Background Intelligent Transfer Service (BITS) is incompatible.
0x80246007 | WU_E_DM_NOTDOWNLOADED | other | - | The update has not been downloaded.
0x80246008 | WU_E_DM_FAILTOCONNECTTOBITS | local_agent | - | The download manager was unable to connect to the Background Intelligent Transfer Service (BITS).
0x80246009 | WU_E_DM_BITSTRANSFERERROR | other | - | A download manager operation failed because of an unspecified Background Intelligent Transfer Service (BITS) transfer error.
0x8024600A | WU_E_DM_DOWNLOADLOCATIONCHANGED | server_error | - | A download must be restarted because the location of the source of the download has changed.
0x8024600B | WU_E_DM_CONTENTCHANGED | server_error | - | A download must be restarted because the update content changed in a new revision.
0x8024600E | WU_E_DM_UNAUTHORIZED | server_error | - | The download failed because the client was denied authorization to download the content.
0x80246FFF | WU_E_DM_UNEXPECTED | local_agent | - | A download manager error not covered by another WU_E_DM_* code.
0x8024D001 | WU_E_SETUP_INVALID_INFDATA | local_agent | - | Windows Update Agent could not be updated because an INF file contains invalid information.
0x8024D002 | WU_E_SETUP_INVALID_IDENTDATA | server_error | - | Windows Update Agent could not be updated because the wuident.cab file contains invalid information.
0x8024D003 | WU_E_SETUP_ALREADY_INITIALIZED | local_agent | - | Windows Update Agent could not be updated because setup initialization was performed twice (internal error).
0x8024D004 | WU_E_SETUP_NOT_INITIALIZED | local_agent | - | Windows Update Agent could not be updated because setup initialization never completed successfully.
0x8024D005 | WU_E_SETUP_SOURCE_VERSION_MISMATCH | local_agent | - | Windows Update Agent could not be updated because the versions in the INF do not match the actual source file versions.
0x8024D006 | WU_E_SETUP_TARGET_VERSION_GREATER | local_agent | - | Windows Update Agent could not be updated because a WUA file on the target system is newer than the corresponding source file.
0x8024D007 | WU_E_SETUP_REGISTRATION_FAILED | local_agent | - | Windows Update Agent could not be updated because regsvr32.exe returned an error.
0x8024D008 | WU_E_SELFUPDATE_SKIP_ON_FAILURE | local_agent | - | An update to the Windows Update Agent was skipped because previous attempts to update it failed.
0x8024D009 | WU_E_SETUP_SKIP_UPDATE | local_agent | - | An update to the Windows Update Agent was skipped because of a directive in the wuident.cab file.
0x8024D00A | WU_E_SETUP_UNSUPPORTED_CONFIGURATION | local_agent | - | Windows Update Agent could not be updated because the current system configuration is not supported.
0x8024D00B | WU_E_SETUP_BLOCKED_CONFIGURATION | local_agent | - | Windows Update Agent could not be updated because the system is configured to block the update.
0x8024D00C | WU_E_SETUP_REBOOT_TO_FIX | local_agent | - | Windows Update Agent could not be updated because a restart of the system is required.
0x8024D00D | WU_E_SETUP_ALREADYRUNNING | local_agent | - | Windows Update Agent setup is already running.
0x8024D00E | WU_E_SETUP_REBOOTREQUIRED | local_agent | - | The Windows Update Agent setup package requires a reboot to complete installation.
0x8024D00F | WU_E_SETUP_HANDLER_EXEC_FAILURE | local_agent | - | Windows Update Agent could not be updated because the setup handler failed during execution.
0x8024D010 | WU_E_SETUP_INVALID_REGISTRY_DATA | local_agent | - | Windows Update Agent could not be updated because the registry contains invalid information.
0x8024D011 | WU_E_SELFUPDATE_REQUIRED | local_agent | - | Windows Update Agent must be updated before search can continue.
0x8024D012 | WU_E_SELFUPDATE_REQUIRED_ADMIN | local_agent | - | Windows Update Agent must be updated before search can continue; an administrator is required to perform the operation.
0x8024D013 | WU_E_SETUP_WRONG_SERVER_VERSION | server_error | - | Windows Update Agent could not be updated because the server does not contain update information for this version.
0x8024DFFF | WU_E_SETUP_UNEXPECTED | local_agent | - | Windows Update Agent could not be updated because of an error not covered by another WU_E_SETUP_* code.
0x80242006 | WU_E_UH_INVALIDMETADATA | local_agent | - | A handler operation could not be completed because the update contains invalid metadata.
0x80242007 | WU_E_UH_INSTALLERHUNG | local_agent | - | An operation could not be completed because the installer exceeded the time limit.
0x8024200B | WU_E_UH_INSTALLERFAILURE | local_agent | - | The installer failed to install (uninstall) one or more updates.
0x8024200D | WU_E_UH_NEEDANOTHERDOWNLOAD | local_agent | - | The update handler did not install the update because it needs to be downloaded again.
0x80242014 | WU_E_UH_POSTREBOOTSTILLPENDING | local_agent | - | The post-reboot operation for the update is still in progress.
0x80242016 | WU_E_UH_POSTREBOOTUNEXPECTEDSTATE | local_agent | - | The state of the update after its post-reboot operation has completed is unexpected.
0x80242017 | WU_E_UH_NEW_SERVICING_STACK_REQUIRED | local_agent | - | The OS servicing stack must be updated before this update is downloaded or installed.
0x80242FFF | WU_E_UH_UNEXPECTED | local_agent | - | An update handler error not covered by another WU_E_UH_* code.
0x80248000 | WU_E_DS_SHUTDOWN | local_agent | - | An operation failed because Windows Update Agent is shutting down.
0x80248001 | WU_E_DS_INUSE | local_agent | - | An operation failed because the data store was in use.
0x80248002 | WU_E_DS_INVALID | local_agent | - | The current and expected states of the data store do not match.
0x80248007 | WU_E_DS_NODATA | local_agent | - | The information requested is not in the data store.
0x8024800C | WU_E_DS_LOCKTIMEOUTEXPIRED | local_agent | - | The data store section could not be locked within the allotted time.
0x80248014 | WU_E_DS_UNKNOWNSERVICE | local_agent | - | An operation did not complete because the service is not in the data store.
0x80248FFF | WU_E_DS_UNEXPECTED | local_agent | - | A data store error not covered by another WU_E_DS_* code.
0x8024A000 | WU_E_AU_NOSERVICE | local_agent | - | Automatic Updates was unable to service incoming requests.
0x8024A005 | WU_E_AU_NO_REGISTERED_SERVICE | local_agent | - | No unmanaged service is registered with Automatic Updates.
0x8024AFFF | WU_E_AU_UNEXPECTED | local_agent | - | An Automatic Updates error not covered by another WU_E_AU_* code.
0x8024A10A | USO_E_SERVICE_SHUTTING_DOWN | local_agent | - | The Windows Update service (Update Session Orchestrator) is shutting down.
0x8024F001 | WU_E_REPORTER_EVENTCACHECORRUPT | local_agent | - | The event cache file was defective.
0x8024F004 | WU_E_SERVER_BUSY | server_error | - | The server rejected an event because it was too busy.
0x80200010 | BG_E_NETWORK_DISCONNECTED | unreachable | - | BITS: no network connection is active on this computer.
0x80200011 | BG_E_MISSING_FILE_SIZE | other | - | BITS: the server did not return the file size (usually a proxy that drops Content-Length).
0x80200012 | BG_E_INSUFFICIENT_HTTP_SUPPORT | other | - | BITS: the server (or a proxy in between) does not support HTTP/1.1.
0x80200013 | BG_E_INSUFFICIENT_RANGE_SUPPORT | other | - | BITS: the server does not support the Range header (usually a proxy that breaks range requests).
`;

/** Component entries: DM, SETUP, UH, DS, AU/USO, reporter and non-HTTP BITS codes. */
export const COMPONENT_ENTRIES: readonly CatalogueEntry[] = parseTable(TABLE);
