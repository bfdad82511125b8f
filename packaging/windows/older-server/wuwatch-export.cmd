@echo off
rem wuwatch-export.cmd SHARE
rem For servers the agent cannot run on (Windows Server 2008 R2, 2012, 2012 R2: Node.js needs 2016+). Built-in tools
rem only. Writes what the agent reads into SHARE\%COMPUTERNAME%\, where an agent in files mode
rem ("wuwatch-agent run --files SHARE ...") running on a supported machine reports it as this server:
rem   WindowsUpdate.log   copy of %windir%\WindowsUpdate.log (the legacy log these versions still write)
rem   policy.reg          reg export of HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate (Group Policy)
rem   proxy.txt           netsh winhttp show proxy
rem   utc-offset.txt      the server's UTC offset in minutes (its log is in local time)
rem Each file is written beside its final name and then moved over it, so the agent never reads half a file.
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
rem A missing policy key is normal (no WSUS policy): write an empty export then.
reg query "HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate" >nul 2>&1
if errorlevel 1 (
  >"%OUT%\policy.reg.tmp" echo Windows Registry Editor Version 5.00
) else (
  reg export "HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate" "%OUT%\policy.reg.tmp" /y >nul
  if errorlevel 1 set "RC=1"
)
if exist "%OUT%\policy.reg.tmp" move /y "%OUT%\policy.reg.tmp" "%OUT%\policy.reg" >nul

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
