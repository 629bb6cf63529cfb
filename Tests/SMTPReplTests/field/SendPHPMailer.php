<?php
// Sends one message with PHPMailer (Debian's libphp-phpmailer), SMTPDebug = 2, STARTTLS and AUTH.
// Arguments: host port password cafile
require '/usr/share/php/libphp-phpmailer/autoload.php';
use PHPMailer\PHPMailer\PHPMailer;
$m = new PHPMailer(true);
$m->isSMTP(); $m->Host = $argv[1]; $m->Port = (int)$argv[2]; $m->SMTPDebug = 2; $m->Helo = 'client.example.com';
$m->SMTPAuth = true; $m->Username = 'alice'; $m->Password = $argv[3]; $m->SMTPSecure = PHPMailer::ENCRYPTION_STARTTLS;
$m->SMTPOptions = ['ssl' => ['cafile' => $argv[4], 'verify_peer' => true, 'peer_name' => 'localhost']];
$m->setFrom('alice@example.com'); $m->addAddress('bob@example.com'); $m->Subject = 'php'; $m->Body = "A line.\n.dot line\n";
$m->send();
