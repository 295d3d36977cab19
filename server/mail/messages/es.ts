// Español neutro, de usted: "contraseña", "enlace", "usuario", "aplicación de autenticación".
import type { MailMessageId } from './en.js';

export const es: Record<MailMessageId, string> = {
  'mail.greeting': 'Hola, {userName}:',
  'mail.openAddress': 'O abra esta dirección: {link}',
  'mail.signature': '— AgentDesk',

  'invitation.subject': 'Le han invitado a {accountName} en AgentDesk',
  'invitation.body': '{invitedBy} le ha invitado a iniciar sesión en {accountName} en AgentDesk. Abra el enlace de abajo para elegir su contraseña; después inicie sesión con su email y esa contraseña.',
  'invitation.button': 'Elegir su contraseña',
  'invitation.expiry': 'El enlace funciona una vez, hasta el {expiresAt, date, when}. Si no esperaba esta invitación, ignore este mensaje.',

  'passwordReset.subject': 'Restablezca su contraseña de AgentDesk para {accountName}',
  'passwordReset.reason': '{by, select, admin {Un administrador de {accountName} le ha enviado un enlace para elegir una contraseña nueva.} other {Alguien (esperamos que usted) pidió restablecer su contraseña de {accountName}.}}',
  'passwordReset.button': 'Elegir una contraseña nueva',
  'passwordReset.expiry': 'El enlace funciona una vez, hasta el {expiresAt, date, when}. Elegir una contraseña nueva cierra todas sus sesiones; después inicie sesión con ella y con su segundo factor, como siempre. Si no lo pidió, ignore este mensaje: su contraseña sigue igual.',

  'security.subject': 'Cambio de seguridad en su cuenta de AgentDesk ({accountName})',
  'security.happened': '{what} ({when, date, when}).',
  'security.notMeIntro': 'Si no fue usted, cierre todas las sesiones de su cuenta y avise a sus administradores:',
  'security.notMeButton': 'No fui yo',
  'security.tellAdmin': 'Si no fue usted, avise a su administrador de inmediato.',

  'notMe.subject': '{userName} informó de una actividad que no reconoce ({accountName})',
  'notMe.reported': '{userName} ({userEmail}) respondió «No fui yo» el {reportedAt, date, when} a este aviso de seguridad del {happenedAt, date, when}{hasAddress, select, yes {, desde {address}} other {}}:',
  'notMe.quote': 'Aviso: «{what}»',
  'notMe.advice': 'En ese momento se cerraron todas las sesiones de {userName}. Puede que otra persona conozca su contraseña o tenga su segundo factor: revise el registro de auditoría, restablezca su autenticación en dos pasos o su contraseña si hace falta, y resuelva la alerta en la consola:',
  'notMe.button': 'Abrir la consola',

  'method.defaultName': '{method, select, security_key {Llave de seguridad} other {Aplicación de autenticación}}',
  'activity.method_added': '{method, select, security_key {Se añadió una llave de seguridad} other {Se añadió una aplicación de autenticación}}{named, select, yes { “{name}”} other {}} como segundo factor de su cuenta',
  'activity.method_removed': '{method, select, security_key {La llave de seguridad} other {La aplicación de autenticación}}{named, select, yes { “{name}”} other {}} se eliminó de su cuenta',
  'activity.recovery_codes_regenerated': 'Se generaron códigos de recuperación nuevos para su cuenta; los anteriores ya no funcionan',
  'activity.two_factor_reset': 'Un administrador restableció su autenticación en dos pasos: se eliminaron sus métodos y códigos de recuperación',
  'activity.password_changed': '{byResetLink, select, yes {Su contraseña se cambió con un enlace de restablecimiento} other {Su contraseña se cambió}}',
  'activity.new_device_sign_in': 'Alguien inició sesión en su cuenta desde un dispositivo nuevo',
  'activity.enrollment_code_redeemed': 'Se usó un código de inscripción de su administrador para configurar la autenticación en dos pasos en su cuenta',
  'activity.other': 'La seguridad de su cuenta cambió',
};
