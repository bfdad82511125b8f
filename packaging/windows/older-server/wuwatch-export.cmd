@echo off
rem wuwatch-export.cmd SHARE
rem For servers the agent cannot run on (Windows Server 2008 R2, 2012, 2012 R2: Node.js needs 2016+). Built-in tools
rem only. Writes what the agent reads into SHARE\%COMPUTERNAME%\, where an agent in files mode
rem ("wuwatch-agent run --files SHARE ...") running on a supported machine reports it as this server:
rem   WindowsUpdate.log   copy of %windir%\WindowsUpdate.log (the legacy log these versions still write)
rem   policy.reg          reg export of HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate (Group Policy)
rem   mdm.reg             reg export of HKLM\SOFTWARE\Microsoft\PolicyManager\current\device\Update (the MDM/Intune
rem                       store, Policy CSP - Update, which stands beside Group Policy)
rem   mdm-conflict.reg    reg export of ...\PolicyManager\current\device\ControlPolicyConflict (MDMWinsOverGP)
rem   proxy.txt           netsh winhttp show proxy
rem   utc-offset.txt      the server's UTC offset in minutes (its log is in local time)
rem Each file is written beside its final name and then moved over it, so the agent never reads half a file. A registry
rem key that does not exist (no WSUS policy, no MDM) is written as an empty export, not an error, so a value removed
rem on the server is removed from the share too.
rem Run it every 15 minutes as SYSTEM with a scheduled task (the computer account needs write access to the share):
rem   schtasks /create /tn "wuwatch export" /ru SYSTEM /sc minute /mo 15 /f ^
rem     /tr "C:\wuwatch\wuwatch-export.cmd \\fileserver\wuwatch$"
setlocal EnableExtensions
if "%~1"=="" (
  echo usage: wuwatch-export.cmd SHARE>&2
  exit /b 2
)
set "OUT=%~1\%COMPUTERNAME%"
if not exist "%OUT%\" mkdir "%OUT%"
if not exist "%OUT%\" (
  echo wuwatch-export: cannot create %OUT%>&2
  exit /b 1
)

set "RC=0"
call :export "HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate" policy.reg
call :export "HKLM\SOFTWARE\Microsoft\PolicyManager\current\device\Update" mdm.reg
call :export "HKLM\SOFTWARE\Microsoft\PolicyManager\current\device\ControlPolicyConflict" mdm-conflict.reg

netsh winhttp show proxy >"%OUT%\proxy.txt.tmp" 2>nul
if errorlevel 1 set "RC=1"
move /y "%OUT%\proxy.txt.tmp" "%OUT%\proxy.txt" >nul

if exist "%windir%\WindowsUpdate.log" (
  copy /y "%windir%\WindowsUpdate.log" "%OUT%\WindowsUpdate.log.tmp" >nul
  if errorlevel 1 set "RC=1"
  if exist "%OUT%\WindowsUpdate.log.tmp" move /y "%OUT%\WindowsUpdate.log.tmp" "%OUT%\WindowsUpdate.log" >nul
)

set "TZ_MIN="
for /f "skip=1 tokens=1" %%t in ('wmic os get CurrentTimeZone 2^>nul') do if not defined TZ_MIN set "TZ_MIN=%%t"
if defined TZ_MIN (
  >"%OUT%\utc-offset.txt.tmp" echo %TZ_MIN%
  move /y "%OUT%\utc-offset.txt.tmp" "%OUT%\utc-offset.txt" >nul
)

exit /b %RC%

rem :export KEY FILE - reg export of KEY to OUT\FILE; a missing key (normal: no policy of that kind) writes an empty
rem export, only a failing export of an existing key sets RC.
:export
reg query "%~1" >nul 2>&1
if errorlevel 1 (
  >"%OUT%\%~2.tmp" echo Windows Registry Editor Version 5.00
) else (
  reg export "%~1" "%OUT%\%~2.tmp" /y >nul
  if errorlevel 1 set "RC=1"
)
if exist "%OUT%\%~2.tmp" move /y "%OUT%\%~2.tmp" "%OUT%\%~2" >nul
exit /b 0
