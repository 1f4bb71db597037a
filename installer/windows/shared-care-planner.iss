; Shared Care Planner - Windows installer (Inno Setup 6).
;
; Build on Windows, from the repository root, after the PyInstaller bundle
; (installer/README.md has the whole recipe):
;     pyinstaller --noconfirm installer\shared-care-planner.spec
;     iscc installer\windows\shared-care-planner.iss
; The result is dist\shared-care-planner-<version>-windows-x64-setup.exe.
;
; What it does:
; - Installs for the signed-in Windows user only (no administrator rights, no UAC prompt)
;   into %LOCALAPPDATA%\Programs\Shared Care Planner, with a Start-menu entry.
; - Upgrades in place: the AppId below never changes, so a newer setup finds the
;   previous install, closes the app if it is running, replaces the program files and
;   leaves the user's data alone.
; - The data (the encrypted vault, its key file, settings, logs) is never in the program
;   folder: it lives in %LOCALAPPDATA%\LLR\SharedCarePlanner (platformdirs, see
;   desktop_app/services/paths.py), and the demo vault in ...\LLR\SharedCarePlanner-demo.
;   Neither install nor upgrade touches those folders; the app migrates the vault on the
;   next sign-in (after taking an encrypted backup copy).
; - Uninstall removes the program and keeps the data, unless the user ticks "Also remove
;   my encrypted data" (off by default) and confirms. A silent uninstall
;   (unins000.exe /VERYSILENT) keeps the data too, unless /PURGE is also given.

#define AppName "Shared Care Planner"
#define AppPublisher "Leicester, Leicestershire and Rutland (LLR) partners"
#define AppExeName "shared-care-planner.exe"
; The PyInstaller one-folder bundle, relative to this script.
#define BundleDir "..\..\dist\shared-care-planner"
; iscc /DAppVersion=1.2.3 overrides; otherwise the version is read from the bundle's
; executable (the spec writes it into the Windows version resource).
#ifndef AppVersion
  #define AppVersion GetStringFileInfo(AddBackslash(SourcePath) + BundleDir + "\" + AppExeName, "ProductVersion")
#endif
; The data folder is named by desktop_app.services.paths (APP_AUTHOR\APP_NAME).
#define DataAuthor "LLR"
#define DataName "SharedCarePlanner"

[Setup]
; Never change the AppId: it is how an upgrade finds the installed copy. (The first brace
; is doubled because Inno Setup reads {...} as a constant.)
AppId={{6F1D3C52-8E0B-4B7A-9C47-2A5E1D9B4F30}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
VersionInfoVersion={#AppVersion}
VersionInfoProductName={#AppName}
; Per-user install: {userpf} is %LOCALAPPDATA%\Programs. No administrator rights, and no
; dialog offering an all-users install (the vault is per user anyway).
PrivilegesRequired=lowest
DefaultDirName={userpf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; An upgrade reuses the folder of the previous install without asking.
UsePreviousAppDir=yes
DisableDirPage=auto
; Qt 6 needs 64-bit Windows 10 or later.
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
; A running copy is closed (Restart Manager) before its files are replaced; it holds the
; vault open, and Windows cannot replace a file in use.
CloseApplications=yes
RestartApplications=no
SetupIconFile=..\icons\shared-care-planner.ico
UninstallDisplayIcon={app}\{#AppExeName}
UninstallDisplayName={#AppName}
OutputDir=..\..\dist
OutputBaseFilename=shared-care-planner-{#AppVersion}-windows-x64-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; NHS organisations usually require signed executables: configure a sign tool named
; "nhs" in the Inno Setup IDE (Tools > Configure Sign Tools) and uncomment.
; SignTool=nhs
; SignedUninstaller=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; \
    GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An upgrade first removes the previous version's program files (the libraries under
; _internal change names between releases and stale ones would be loaded). This is the
; program folder only: the data is elsewhere and is not touched.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
; The whole bundle: shared-care-planner.exe (the windowed app), shared-care-planner-cli.exe
; (the same app for a console: --version and --self-test print and set the exit code) and
; _internal\ (Python, Qt, the app's code, resources and migrations).
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExeName}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExeName}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExeName}"; Description: "{cm:LaunchProgram,{#AppName}}"; \
    Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Python may leave compiled files in the program folder; the data folder is handled below.
Type: filesandordirs; Name: "{app}\_internal"

[Code]
var
  RemoveData: Boolean;

function DataFolder(): String;
begin
  Result := ExpandConstant('{localappdata}\{#DataAuthor}\{#DataName}');
end;

{ True when the uninstaller's command line has the switch (e.g. /PURGE). }
function HasSwitch(const Name: String): Boolean;
var
  I: Integer;
begin
  Result := False;
  for I := 1 to ParamCount do
    if CompareText(ParamStr(I), Name) = 0 then
      Result := True;
end;

{ The uninstaller's first screen: what happens to the data, with the option to remove it
  (unticked). Returns False when the user cancels the uninstall. }
function AskAboutData(): Boolean;
var
  Form: TSetupForm;
  Info: TNewStaticText;
  RemoveBox: TNewCheckBox;
  UninstallButton, CancelButton: TNewButton;
begin
  Form := CreateCustomForm();
  try
    Form.ClientWidth := ScaleX(440);
    Form.ClientHeight := ScaleY(200);
    Form.Caption := 'Uninstall {#AppName}';
    Form.Position := poScreenCenter;

    Info := TNewStaticText.Create(Form);
    Info.Parent := Form;
    Info.Left := ScaleX(12);
    Info.Top := ScaleY(12);
    Info.Width := Form.ClientWidth - ScaleX(24);
    Info.Height := ScaleY(96);
    Info.AutoSize := False;
    Info.WordWrap := True;
    Info.Caption :=
      'The program will be removed. Your encrypted data (the vault with the people, ' +
      'delegations and support plans on this computer, your settings and logs) will be ' +
      'kept in ' + DataFolder() + ', so reinstalling brings it all back.' + #13#10#13#10 +
      'Changes that have not been synced to the central store exist only in that data.';

    RemoveBox := TNewCheckBox.Create(Form);
    RemoveBox.Parent := Form;
    RemoveBox.Left := ScaleX(12);
    RemoveBox.Top := ScaleY(120);
    RemoveBox.Width := Form.ClientWidth - ScaleX(24);
    RemoveBox.Height := ScaleY(20);
    RemoveBox.Caption := 'Also remove my encrypted data';
    RemoveBox.Checked := False;

    UninstallButton := TNewButton.Create(Form);
    UninstallButton.Parent := Form;
    UninstallButton.Width := ScaleX(85);
    UninstallButton.Height := ScaleY(23);
    UninstallButton.Left := Form.ClientWidth - ScaleX(85 + 8 + 85 + 12);
    UninstallButton.Top := Form.ClientHeight - ScaleY(23 + 12);
    UninstallButton.Caption := 'Uninstall';
    UninstallButton.ModalResult := mrOk;
    UninstallButton.Default := True;

    CancelButton := TNewButton.Create(Form);
    CancelButton.Parent := Form;
    CancelButton.Width := ScaleX(85);
    CancelButton.Height := ScaleY(23);
    CancelButton.Left := Form.ClientWidth - ScaleX(85 + 12);
    CancelButton.Top := Form.ClientHeight - ScaleY(23 + 12);
    CancelButton.Caption := 'Cancel';
    CancelButton.ModalResult := mrCancel;
    CancelButton.Cancel := True;

    Form.ActiveControl := UninstallButton;
    Result := Form.ShowModal() = mrOk;
    RemoveData := Result and RemoveBox.Checked;
  finally
    Form.Free();
  end;
end;

function InitializeUninstall(): Boolean;
begin
  Result := True;
  RemoveData := False;
  if UninstallSilent() then
  begin
    { IT tooling: keep the data unless explicitly asked. }
    RemoveData := HasSwitch('/PURGE');
    Exit;
  end;
  Result := AskAboutData();
  if Result and RemoveData then
    { A second, explicit question, defaulting to No: this cannot be undone. }
    RemoveData := MsgBox('Permanently delete your encrypted Shared Care Planner data on ' +
      'this computer?' + #13#10#13#10 + 'Anything not yet synced to the central store ' +
      'will be lost for good.', mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  { After the program files are gone (so nothing holds the vault open). }
  if (CurUninstallStep = usPostUninstall) and RemoveData then
  begin
    DelTree(DataFolder(), True, True, True);
    DelTree(DataFolder() + '-demo', True, True, True);
    { Removes the LLR folder only if nothing else of LLR's is in it. }
    RemoveDir(ExpandConstant('{localappdata}\{#DataAuthor}'));
    if DirExists(DataFolder()) and not UninstallSilent() then
      MsgBox('Some of the data could not be removed (is the app still open?): ' +
        DataFolder(), mbError, MB_OK);
  end;
end;
